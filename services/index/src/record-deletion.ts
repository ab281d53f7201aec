import type { DeleteRecordsQuery, DeleteRecordsResult } from '../../../libs/bus/index.js';
import { deleteOrphanSegments, type OrphanDeps } from './orphan-segments.js';
import { ThumbnailCatalogue } from './thumbnail-catalogue.js';

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
    const track = await new ThumbnailCatalogue(deps.store.db).removeTrack(recordId);
    result.results.push({ recordId, message: 'OK' });
    if (!q.removeFile) continue;
    await deps.backendFor({ kind: row.storage_kind as 'local' | 's3', bucket: row.bucket, endpoint: row.endpoint }).delete(row.object_key);
    result.deletedObjects++;
    // The file's cover, sprite sheets and WebVTT track go with it.
    if (track) {
      const backend = deps.backendFor(track.storage);
      for (const key of track.keys) await backend.delete(key);
      result.deletedObjects += track.keys.length;
    }
    result.deletedObjects += await deleteOrphanSegments(orphans, deps, { keepCatalogued: false });
  }
  return result;
}
