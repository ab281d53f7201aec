import type { DeleteRecordsQuery, DeleteRecordsResult } from '../../../libs/bus/index.js';
import { deleteOrphanSegments, type OrphanDeps } from './orphan-segments.js';

/** DeleteLiveStreamRecordIndexFiles: records of one stream; with removeFile also their objects and the segments nothing else references. */
export async function deleteRecords(q: DeleteRecordsQuery, deps: OrphanDeps): Promise<DeleteRecordsResult> {
  const result: DeleteRecordsResult = { results: [], deletedObjects: 0 };
  for (const recordId of q.recordIds) {
    const row = await deps.store.fileRow(recordId);
    if (!row || row.domain !== q.stream.domain || row.app !== q.stream.app || row.stream !== q.stream.stream) {
      result.results.push({ recordId, message: 'NOT_FOUND' });
      continue;
    }
    const orphans = await deps.store.removeFile(recordId);
    result.results.push({ recordId, message: 'OK' });
    if (!q.removeFile) continue;
    await deps.backendFor({ kind: row.storage_kind as 'local' | 's3', bucket: row.bucket, endpoint: row.endpoint }).delete(row.object_key);
    result.deletedObjects++;
    result.deletedObjects += await deleteOrphanSegments(orphans, deps, { keepCatalogued: false });
  }
  return result;
}
