// Clip and merge: which stored segments a new index file holds, and the content
// ranges of a stream. Pure, so the rules are table-tested.
import type { ContentRange } from '../../../libs/bus/index.js';

/** A gap longer than this between two segments is a break in the content. */
export const CONTINUITY_TOLERANCE_MS = 1000;

/**
 * Whether a segment belongs to the index file of [startMs, endMs]: every segment that
 * overlaps the start, and up to the end either the segments that end by endMs, or
 * (endIncluded) also the one that contains endMs.
 */
export function inIndexFile(r: { start_ms: number; end_ms: number }, startMs: number, endMs: number, endIncluded: boolean): boolean {
  return r.end_ms > startMs && r.start_ms < endMs && (endIncluded || r.end_ms <= endMs);
}

/** Recorded time ranges within [startMs, endMs], contiguous segments merged. */
export function contentRanges(rows: { start_ms: number; end_ms: number }[], startMs: number, endMs: number): ContentRange[] {
  const out: ContentRange[] = [];
  for (const r of [...rows].sort((a, b) => a.start_ms - b.start_ms)) {
    const s = Math.max(r.start_ms, startMs);
    const e = Math.min(r.end_ms, endMs);
    if (e <= s) continue;
    const last = out[out.length - 1];
    if (last && s - last.endMs <= CONTINUITY_TOLERANCE_MS) last.endMs = Math.max(last.endMs, e);
    else out.push({ startMs: s, endMs: e });
  }
  return out;
}
