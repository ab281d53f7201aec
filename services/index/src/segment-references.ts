// Which segment objects files still reference. A recorder's file lists its segments
// (file_segments rows); a created index file references a span of its stream
// (file_ranges); an m3u8 merge of the media library plays the segments it took over from its
// deleted originals (media_asset_segments). A segment is referenced when a row names it or a range holds it.
import type { Kysely } from 'kysely';
import type { CatalogueDb } from './catalogue-schema.js';
import type { MediaAssetSegmentsTable } from './library-schema.js';

export interface SegmentSpan {
  object_key: string;
  domain: string;
  app: string;
  stream: string;
  start_ms: number;
  end_ms: number;
}

const CHUNK = 500;

/** Lists split for IN (...) clauses: both databases bound the number of parameters of a statement. */
export function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

const streamKey = (s: { domain: string; app: string; stream: string }) => `${s.domain}\u0000${s.app}\u0000${s.stream}`;

/**
 * The ranges of one stream, sorted by start, with the running maximum of their ends:
 * a span is held by a single range iff, among the ranges starting at or before it,
 * the furthest end reaches its end. O(log n) per question.
 */
class RangeCover {
  private readonly starts: number[] = [];
  private readonly maxEnds: number[] = [];

  constructor(ranges: { start_ms: number; end_ms: number }[]) {
    let maxEnd = -Infinity;
    for (const r of [...ranges].sort((a, b) => a.start_ms - b.start_ms)) {
      maxEnd = Math.max(maxEnd, Number(r.end_ms));
      this.starts.push(Number(r.start_ms));
      this.maxEnds.push(maxEnd);
    }
  }

  holds(startMs: number, endMs: number): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= startMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && this.maxEnds[found] >= endMs;
  }
}

/** Keys named by some file_segments row, or by a media asset's (a merge that took them over). */
async function namedByRows(db: Kysely<CatalogueDb>, keys: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const assets = db.withTables<{ media_asset_segments: MediaAssetSegmentsTable }>();
  for (const part of chunks([...new Set(keys)])) {
    for (const r of await db.selectFrom('file_segments').select('segment_key').distinct().where('segment_key', 'in', part).execute()) out.add(r.segment_key);
    const rest = part.filter((k) => !out.has(k));
    if (rest.length === 0) continue;
    for (const r of await assets.selectFrom('media_asset_segments').select('segment_key').distinct().where('segment_key', 'in', rest).execute()) out.add(r.segment_key);
  }
  return out;
}

/** Keys of spans that some file_ranges row holds. */
async function heldByRanges(db: Kysely<CatalogueDb>, spans: SegmentSpan[]): Promise<Set<string>> {
  const byStream = new Map<string, SegmentSpan[]>();
  for (const s of spans) {
    const k = streamKey(s);
    const list = byStream.get(k);
    if (list) list.push(s);
    else byStream.set(k, [s]);
  }
  const out = new Set<string>();
  for (const list of byStream.values()) {
    const { domain, app, stream } = list[0];
    const ranges = await db.selectFrom('file_ranges').select(['start_ms', 'end_ms'])
      .where('domain', '=', domain).where('app', '=', app).where('stream', '=', stream).execute();
    if (ranges.length === 0) continue;
    const cover = new RangeCover(ranges);
    for (const s of list) if (cover.holds(Number(s.start_ms), Number(s.end_ms))) out.add(s.object_key);
  }
  return out;
}

/** Stream and span of each key, from its record or its retention note; keys with neither are absent. */
export async function spansOfKeys(db: Kysely<CatalogueDb>, keys: string[]): Promise<Map<string, SegmentSpan>> {
  const out = new Map<string, SegmentSpan>();
  for (const part of chunks([...new Set(keys)])) {
    const rows = await db.selectFrom('segments').select(['object_key', 'domain', 'app', 'stream', 'start_ms', 'end_ms']).where('object_key', 'in', part).execute();
    for (const r of rows) out.set(r.object_key, r);
    const missing = part.filter((k) => !out.has(k));
    if (missing.length === 0) continue;
    const kept = await db.selectFrom('retained_segments').select(['object_key', 'domain', 'app', 'stream', 'start_ms', 'end_ms'])
      .where('object_key', 'in', missing).where('stream', 'is not', null).execute();
    for (const r of kept) out.set(r.object_key, { object_key: r.object_key, domain: r.domain!, app: r.app!, stream: r.stream!, start_ms: Number(r.start_ms), end_ms: Number(r.end_ms) });
  }
  return out;
}

/** Every catalogued or retained segment lying within a range. */
export async function spansInRange(db: Kysely<CatalogueDb>, r: { domain: string; app: string; stream: string; start_ms: number; end_ms: number }): Promise<SegmentSpan[]> {
  const live = await db.selectFrom('segments').select(['object_key', 'domain', 'app', 'stream', 'start_ms', 'end_ms'])
    .where('domain', '=', r.domain).where('app', '=', r.app).where('stream', '=', r.stream)
    .where('start_ms', '>=', r.start_ms).where('end_ms', '<=', r.end_ms).execute();
  const kept = await db.selectFrom('retained_segments').select(['object_key', 'start_ms', 'end_ms'])
    .where('domain', '=', r.domain).where('app', '=', r.app).where('stream', '=', r.stream)
    .where('start_ms', '>=', r.start_ms).where('end_ms', '<=', r.end_ms).execute();
  return [...live, ...kept.map((k) => ({ object_key: k.object_key, domain: r.domain, app: r.app, stream: r.stream, start_ms: Number(k.start_ms), end_ms: Number(k.end_ms) }))];
}

/** Which of these segments (keys, with their spans where known) a file still references. */
export async function referencedAmong(db: Kysely<CatalogueDb>, keys: string[], spans: SegmentSpan[]): Promise<Set<string>> {
  const out = await namedByRows(db, keys);
  for (const k of await heldByRanges(db, spans.filter((s) => !out.has(s.object_key)))) out.add(k);
  return out;
}
