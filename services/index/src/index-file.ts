// Clip and merge: which stored segments a new index file holds, and how they
// are referenced. Pure, so the rules are table-tested.
import type { ContentRange, StorageTarget } from '../../../libs/bus/index.js';
import type { PlaylistSegment } from '../../../libs/hls/index.js';
import type { SegmentsTable } from './catalogue-schema.js';

/** A gap longer than this between two segments is a break in the content. */
export const CONTINUITY_TOLERANCE_MS = 1000;

/**
 * Segments for [startMs, endMs]: every segment that overlaps the start, and up to
 * the end either the segments that end by endMs, or (endIncluded) also the one
 * that contains endMs.
 */
export function selectSegments(rows: SegmentsTable[], startMs: number, endMs: number, endIncluded: boolean): SegmentsTable[] {
  return rows.filter((r) => r.end_ms > startMs && r.start_ms < endMs && (endIncluded || r.end_ms <= endMs));
}

function sameTarget(r: SegmentsTable, t: StorageTarget): boolean {
  return r.storage_kind === t.kind && r.bucket === t.bucket && r.endpoint === t.endpoint;
}

/** Playlist entries: relative keys where the segment shares the playlist's target, URLs otherwise; breaks marked. */
export function indexFileSegments(rows: SegmentsTable[], target: StorageTarget): { segments: PlaylistSegment[]; discontinuities: number } {
  let discontinuities = 0;
  const segments = rows.map((r, i): PlaylistSegment => {
    const prev = rows[i - 1];
    const discontinuity = i > 0 && (r.recording_id !== prev.recording_id || r.discontinuity === 1 || r.start_ms - prev.end_ms > CONTINUITY_TOLERANCE_MS);
    if (discontinuity) discontinuities++;
    return {
      objectKey: r.object_key,
      ...(sameTarget(r, target) ? {} : { url: r.url }),
      startMs: r.start_ms,
      durationMs: r.duration_ms,
      discontinuity,
    };
  });
  return { segments, discontinuities };
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
