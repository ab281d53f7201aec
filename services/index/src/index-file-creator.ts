import { randomBytes } from 'node:crypto';
import { RpcFailure, streamLabel, type CreateIndexQuery, type CreateIndexResult, type StorageTarget } from '../../../libs/bus/index.js';
import type { StorageBackend } from '../../../libs/storage/index.js';
import { INDEX_FILE_RECORDING_PREFIX } from './catalogue-schema.js';
import { CatalogueStore, toCatalogFile } from './catalogue-store.js';
import { ClipPlaylistWriter } from './clip-playlist.js';
import { inIndexFile } from './index-file.js';

export interface IndexFileDeps {
  store: CatalogueStore;
  backendFor(target: StorageTarget): StorageBackend;
}

/** Ids of created index files: apart from any recording's, and unique without coordination. */
function indexRecordingId(now: number): string {
  return `${INDEX_FILE_RECORDING_PREFIX}${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * CreateLiveStreamRecordIndexFiles: a new m3u8 over the stored segments of a
 * range (a clip inside one recording, or a merge across several), written to
 * storage and catalogued with the span of segments it references. The query reads
 * only the columns a playlist needs, rows become playlist lines as they come, and
 * the references are one range row, so a clip of days costs tens of milliseconds.
 */
export async function createIndexFile(q: CreateIndexQuery, deps: IndexFileDeps): Promise<CreateIndexResult> {
  const writer = new ClipPlaylistWriter(q.objectKey);
  let overlapping = 0;
  let shortest = Infinity;
  await deps.store.eachClipSegment(q.stream, q.startMs, q.endMs, q.target, (r) => {
    overlapping++;
    if (r.duration_ms < shortest) shortest = r.duration_ms;
    if (inIndexFile(r, q.startMs, q.endMs, q.endIncluded)) writer.add(r);
  });
  if (overlapping === 0 && !(await deps.store.hasSegments(q.stream))) {
    throw new RpcFailure({ code: 'not_found', message: `stream ${streamLabel(q.stream)} has no recorded segments` });
  }
  if (overlapping > 0 && q.endMs - q.startMs < shortest) {
    throw new RpcFailure({ code: 'invalid_argument', message: `end_time: the range (${(q.endMs - q.startMs) / 1000} s) is shorter than one segment (${shortest / 1000} s)` });
  }
  if (writer.segments === 0) throw new RpcFailure({ code: 'invalid_argument', message: 'start_time: no complete recorded segment lies in the range' });
  const playlist = writer.finish();
  const backend = deps.backendFor(q.target);
  const stored = await backend.putBytes(q.objectKey, playlist.body, 'application/vnd.apple.mpegurl');
  const dims = await deps.store.dimensionsOf(playlist.firstRecordingId);
  const now = Date.now();
  const recordingId = indexRecordingId(now);
  const ev = {
    objectKey: q.objectKey, storage: q.target, size: stored.size, sha256: stored.sha256, url: backend.urlOf(q.objectKey),
    file: {
      stream: q.stream, recordingId, format: 'm3u8' as const, sequence: 0, startMs: playlist.startMs, endMs: playlist.endMs,
      durationMs: playlist.durationMs, width: dims.width, height: dims.height, segmentKeys: [], pushArgs: {},
    },
  };
  const recordId = `${recordingId}-m3u8-0`;
  // Every listed segment lies within [first start, furthest end]: the range the clip references.
  await deps.store.addIndexFile(ev, { startMs: playlist.startMs, endMs: playlist.spanEndMs }, now, recordId);
  return { file: toCatalogFile(CatalogueStore.fileRowOf(ev, now, recordId)), segmentCount: playlist.segments, discontinuityCount: playlist.discontinuities };
}
