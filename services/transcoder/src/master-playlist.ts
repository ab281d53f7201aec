// A recording's multivariant (master) playlist over its source and renditions,
// and the measurements it is made of. Pure.

export interface MediaSegmentRef {
  uri: string;
  durationSec: number;
}

/** The segments a media playlist lists (URI and #EXTINF duration), in order. */
export function mediaSegments(playlist: string): MediaSegmentRef[] {
  const out: MediaSegmentRef[] = [];
  let duration: number | null = null;
  for (const raw of playlist.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#') && duration !== null) {
      out.push({ uri: line, durationSec: duration });
      duration = null;
    }
  }
  return out;
}

/**
 * BANDWIDTH is the peak segment bit rate (RFC 8216 4.3.4.2), AVERAGE-BANDWIDTH
 * the whole playlist's. A segment shorter than a second says little about the
 * rate (a last fragment) and is left out of the peak when others exist.
 */
export function measureBandwidth(segments: { durationSec: number; bytes: number }[]): { peak: number; average: number } {
  const timed = segments.filter((s) => s.durationSec > 0);
  if (timed.length === 0) return { peak: 0, average: 0 };
  const long = timed.filter((s) => s.durationSec >= 1);
  const rates = (long.length ? long : timed).map((s) => (s.bytes * 8) / s.durationSec);
  const bytes = timed.reduce((n, s) => n + s.bytes, 0);
  const seconds = timed.reduce((n, s) => n + s.durationSec, 0);
  return { peak: Math.ceil(Math.max(...rates)), average: Math.ceil((bytes * 8) / seconds) };
}

export interface Variant {
  uri: string;
  bandwidth: number;
  averageBandwidth: number;
  width: number;
  height: number;
  /** RFC 6381 codec strings; '' when unknown (CODECS is then left out). */
  codecs: string;
}

/** The master playlist text; variants listed by bandwidth, highest first. */
export function masterPlaylist(variants: Variant[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of [...variants].sort((a, b) => b.bandwidth - a.bandwidth)) {
    const attrs = [`BANDWIDTH=${v.bandwidth}`];
    if (v.averageBandwidth > 0) attrs.push(`AVERAGE-BANDWIDTH=${v.averageBandwidth}`);
    if (v.width > 0 && v.height > 0) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.codecs) attrs.push(`CODECS="${v.codecs}"`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** How much two time ranges overlap, in ms (0 when apart). */
export function overlapMs(a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }): number {
  return Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));
}
