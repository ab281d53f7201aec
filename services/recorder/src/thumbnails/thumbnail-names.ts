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

/** A file's object key without its extension: the track's objects sit next to the file. */
function fileBase(fileKey: string): string {
  return fileKey.replace(/\.[A-Za-z0-9]+$/, '');
}

export function trackKeys(fileKey: string, sheets: number): { coverKey: string; vttKey: string; spriteKeys: string[] } {
  const base = fileBase(fileKey);
  return { coverKey: `${base}.cover.jpg`, vttKey: `${base}.thumbnails.vtt`, spriteKeys: Array.from({ length: sheets }, (_, i) => `${base}.sprite-${i}.jpg`) };
}

/** The largest short side (a landscape picture's height) of a resolution tier (null: the source's own). */
export function tierHeight(resolution: SnapshotResolution): number | null {
  return resolution === 'source' ? null : Number(resolution.replace('p', ''));
}
