// The most channels (streams) recording at one instant within a window: a sweep over
// the intervals in which each was recording.

export interface ChannelInterval {
  /** Which stream: two intervals of one stream never count twice at the same instant. */
  channel: string;
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

export interface Peak {
  channels: number;
  /** The first instant the peak was reached; null when nothing was recording. */
  atMs: number | null;
}

/** Each channel's intervals, clipped to the window, with overlapping and touching ones joined. */
function mergedPerChannel(intervals: readonly ChannelInterval[], startMs: number, endMs: number): { startMs: number; endMs: number }[] {
  const byChannel = new Map<string, { startMs: number; endMs: number }[]>();
  for (const i of intervals) {
    const s = Math.max(i.startMs, startMs);
    const e = Math.min(i.endMs, endMs);
    if (e <= s) continue;
    let list = byChannel.get(i.channel);
    if (!list) byChannel.set(i.channel, (list = []));
    list.push({ startMs: s, endMs: e });
  }
  const out: { startMs: number; endMs: number }[] = [];
  for (const list of byChannel.values()) {
    list.sort((a, b) => a.startMs - b.startMs);
    let cur = { ...list[0] };
    for (const next of list.slice(1)) {
      if (next.startMs <= cur.endMs) cur.endMs = Math.max(cur.endMs, next.endMs);
      else {
        out.push(cur);
        cur = { ...next };
      }
    }
    out.push(cur);
  }
  return out;
}

/**
 * Peak concurrency of channels within [startMs, endMs). Intervals are half-open: one
 * ending at the instant another starts does not overlap it (a stream handed from one
 * recording to the next, or two streams back to back, count once).
 */
export function peakChannels(intervals: readonly ChannelInterval[], startMs: number, endMs: number): Peak {
  const merged = mergedPerChannel(intervals, startMs, endMs);
  // Ends sort before starts at the same instant: that is what half-open means.
  const events = merged.flatMap((i) => [{ at: i.startMs, delta: 1 }, { at: i.endMs, delta: -1 }]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  const peak: Peak = { channels: 0, atMs: null };
  for (const e of events) {
    now += e.delta;
    if (now > peak.channels) {
      peak.channels = now;
      peak.atMs = e.at;
    }
  }
  return peak;
}
