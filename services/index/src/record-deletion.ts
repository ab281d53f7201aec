import type { DeleteRecordsQuery, DeleteRecordsResult } from '../../../libs/bus/index.js';
import { deleteOrphanSegments, type OrphanDeps } from './orphan-segments.js';
import { ThumbnailCatalogue } from './thumbnail-catalogue.js';

/**
 * DeleteLiveStreamRecordIndexFiles: records of one stream; with removeFile also their objects and the segments nothing else references.
 * opts.removeTrack (DeleteVideo of an m3u8 original whose merge took over its segments): without removeFile,
 * the file's cover, sprite sheets and WebVTT track still go (their records go with the file's, so nothing would find them again),
 * except an object whose URL opts.shown says an asset still shows (a merge made before merges had their own cover shows its first file's).
 */
export async function deleteRecords(
  q: DeleteRecordsQuery, deps: OrphanDeps, opts: { removeTrack?: boolean; shown?: (url: string) => Promise<boolean> } = {},
): Promise<DeleteRecordsResult> {
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
    // The file's cover, sprite sheets and WebVTT track go with it.
    if (track && (q.removeFile || opts.removeTrack)) {
      const backend = deps.backendFor(track.storage);
      for (const key of track.keys) {
        if (opts.shown && await opts.shown(backend.urlOf(key))) continue;
        await backend.delete(key);
        result.deletedObjects++;
      }
    }
    if (!q.removeFile) continue;
    await deps.backendFor({ kind: row.storage_kind as 'local' | 's3', bucket: row.bucket, endpoint: row.endpoint }).delete(row.object_key);
    result.deletedObjects++;
    result.deletedObjects += await deleteOrphanSegments(orphans, deps, { keepCatalogued: false });
  }
  return result;
}
