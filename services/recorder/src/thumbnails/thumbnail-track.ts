// At a file's finalize: its thumbnails (from the recording's spool) tiled into sprite sheets,
// and a WebVTT track whose cues cover the file's duration, both stored next to the file.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SUBJECTS, publishDurable, type Bus, type FileMeta, type StorageTarget, type ThumbnailTrackStored } from '../../../../libs/bus/index.js';
import { composeSpriteSheets, jpegSize, type SpriteLayout } from '../../../../libs/media/index.js';
import type { StorageRegistry } from '../../../../libs/storage/index.js';
import { trackKeys } from './thumbnail-names.js';
import { spoolName } from './thumbnail-worker.js';
import { thumbnailVtt, tileSize } from './webvtt-track.js';

const COLUMNS = 10;
const MAX_ROWS = 10;
/** A file of many hours at a short interval is previewed by an even selection of its thumbnails. */
const MAX_TRACK_THUMBNAILS = 1000;

/** The spool thumbnails (times) of a time range, thinned evenly to at most `max`. */
export function selectThumbnails(times: number[], startMs: number, endMs: number, max = MAX_TRACK_THUMBNAILS): number[] {
  const inRange = times.filter((t) => t >= startMs && t < endMs).sort((a, b) => a - b);
  if (inRange.length <= max) return inRange;
  return Array.from({ length: max }, (_, i) => inRange[Math.floor((i * inRange.length) / max)]);
}

export interface TrackResult {
  vttKey: string;
  spriteKeys: string[];
  thumbnails: number;
}

/** The times of the thumbnails kept in a recording's spool (none when it has no folder). */
export async function spoolTimes(thumbsDir: string): Promise<number[]> {
  const names = await readdir(thumbsDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => /^\d+\.jpg$/.test(n)).map((n) => Number(n.slice(0, -4)));
}

/** Composes, stores and announces a file's thumbnail track; null when the file has no thumbnails. */
export async function storeThumbnailTrack(
  deps: { bus: Bus; storage: StorageRegistry },
  file: FileMeta, fileKey: string, target: StorageTarget, thumbsDir: string,
): Promise<TrackResult | null> {
  const chosen = selectThumbnails(await spoolTimes(thumbsDir), file.startMs, file.endMs);
  if (chosen.length === 0) return null;
  // The cover, then the rest read one at a time as ffmpeg tiles them: a thousand source-tier
  // JPEGs are never in memory at once.
  const cover = await readFile(join(thumbsDir, spoolName(chosen[0])));
  const first = jpegSize(cover);
  const layout: SpriteLayout = { ...tileSize(first.width, first.height), columns: COLUMNS, rows: Math.min(MAX_ROWS, Math.ceil(chosen.length / COLUMNS)) };
  async function* images(): AsyncGenerator<Buffer> {
    yield cover;
    for (const t of chosen.slice(1)) yield await readFile(join(thumbsDir, spoolName(t)));
  }
  const sheets = await composeSpriteSheets(images(), layout);
  const expected = Math.ceil(chosen.length / (layout.columns * layout.rows));
  if (sheets.length !== expected) throw new Error(`sprite sheets: expected ${expected}, ffmpeg made ${sheets.length}`);
  const { coverKey, vttKey, spriteKeys } = trackKeys(fileKey, sheets.length);
  const backend = deps.storage.backendFor(target);
  await backend.putBytes(coverKey, cover, 'image/jpeg');
  for (let i = 0; i < sheets.length; i++) await backend.putBytes(spriteKeys[i], sheets[i], 'image/jpeg');
  // Cues name the sheets relative to the track: they sit in the same folder.
  const sheetNames = spriteKeys.map((k) => k.slice(k.lastIndexOf('/') + 1));
  const vtt = thumbnailVtt(chosen.map((t) => t - file.startMs), file.durationMs, layout, sheetNames);
  await backend.putBytes(vttKey, Buffer.from(vtt, 'utf8'), 'text/vtt');
  const ev: ThumbnailTrackStored = {
    stream: file.stream, recordingId: file.recordingId, format: file.format, sequence: file.sequence, storage: target,
    coverKey, coverUrl: backend.urlOf(coverKey), vttKey, spriteKeys, thumbnails: chosen.length,
  };
  await publishDurable(deps.bus, SUBJECTS.thumbnailTrack, ev, `track:${file.recordingId}:${file.format}:${file.sequence}`);
  return { vttKey, spriteKeys, thumbnails: chosen.length };
}
