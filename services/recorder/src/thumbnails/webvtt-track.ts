// A WebVTT thumbnail track: one cue per thumbnail, pointing at its tile in a sprite sheet
// with a media fragment (#xywh=x,y,w,h), the form players' scrubbing previews read.
import type { SpriteLayout } from '../../../../libs/media/index.js';

function timestamp(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(total / 3600000))}:${p(Math.floor(total / 60000) % 60)}:${p(Math.floor(total / 1000) % 60)}.${p(total % 1000, 3)}`;
}

/**
 * offsetsMs: each thumbnail's time from the file's start, ascending. The cues cover the whole
 * file: the first starts at 0, each ends where the next begins, the last at durationMs.
 * sheetNames: what a cue names each sprite sheet by (relative to the track).
 */
export function thumbnailVtt(offsetsMs: number[], durationMs: number, layout: SpriteLayout, sheetNames: string[]): string {
  const perSheet = layout.columns * layout.rows;
  const lines = ['WEBVTT', ''];
  offsetsMs.forEach((offset, i) => {
    const start = i === 0 ? 0 : Math.min(Math.max(0, offset), durationMs);
    const end = i + 1 < offsetsMs.length ? Math.min(Math.max(start, offsetsMs[i + 1]), durationMs) : durationMs;
    if (end <= start) return;
    const tile = i % perSheet;
    const x = (tile % layout.columns) * layout.tileWidth;
    const y = Math.floor(tile / layout.columns) * layout.tileHeight;
    lines.push(`${timestamp(start)} --> ${timestamp(end)}`, `${sheetNames[Math.floor(i / perSheet)]}#xywh=${x},${y},${layout.tileWidth},${layout.tileHeight}`, '');
  });
  return lines.join('\n');
}

/** Tile size for thumbnails of a picture size: 160 wide, the aspect kept, even. */
export function tileSize(width: number, height: number, tileWidth = 160): { tileWidth: number; tileHeight: number } {
  const h = width > 0 && height > 0 ? Math.round((tileWidth * height) / width / 2) * 2 : 90;
  return { tileWidth, tileHeight: Math.max(2, h) };
}
