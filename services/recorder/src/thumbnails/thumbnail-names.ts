// Object keys of thumbnails and of a file's thumbnail track. Patterns were validated by the
// api; rendering checks the result again, so no value can leave the storage root.
import { type StreamRef } from '../../../../libs/bus/index.js';
import { renderKey } from '../../../../libs/naming/index.js';
import type { SnapshotResolution } from '../../../../libs/bus/index.js';
/** atMs: the frame's publish time ({UnixTimestamp}); slot: its interval number on the recording's timeline ({Sequence}). */
export function thumbnailKey(pattern: string, stream: StreamRef, atMs: number, slot: number): string {
  return renderKey(pattern, {
    AppName: stream.app, StreamName: stream.stream, DomainName: stream.domain,
    UnixTimestamp: Math.floor(atMs / 1000), Sequence: slot,
  }, '');
}

/**
 * The track's objects sit next to the file, named after its whole name (extension included): a
 * recording's flv, mp4 and m3u8 files of one cycle differ only by their extension, so each format's
 * file has its own cover, sprite sheets and track, deleted with that file and no other.
 */
export function trackKeys(fileKey: string, sheets: number): { coverKey: string; vttKey: string; spriteKeys: string[] } {
  return { coverKey: `${fileKey}.cover.jpg`, vttKey: `${fileKey}.thumbnails.vtt`, spriteKeys: Array.from({ length: sheets }, (_, i) => `${fileKey}.sprite-${i}.jpg`) };
}

/** The largest short side (a landscape picture's height) of a resolution tier (null: the source's own). */
export function tierHeight(resolution: SnapshotResolution): number | null {
  return resolution === 'source' ? null : Number(resolution.replace('p', ''));
}
