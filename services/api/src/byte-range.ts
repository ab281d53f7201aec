// The Range header of a playback request (RFC 9110 §14), one range only: players
// ask for one. Pure, so every edge is a table test.

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const FULL: RangeAnswer = { kind: 'full' };

/**
 * What to send of a file of `size` bytes. A header this server does not take
 * (several ranges, another unit, last-pos before first-pos, garbage) is ignored
 * and the whole file sent, as the RFC allows; a well-formed range that starts
 * past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return FULL;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (!m[1] && !m[2])) return FULL;
  if (!m[1]) {
    // bytes=-N: the last N bytes.
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] ? Number(m[2]) : Infinity;
  if (last < start) return FULL;
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
