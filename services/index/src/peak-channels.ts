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

/**
 * Each channel's intervals, clipped to the window, with overlapping and touching ones
 * joined: the starts and ends of what remains (a month may hold a hundred thousand runs,
 * so plain number arrays, not an object per event).
 */
function mergedPerChannel(intervals: readonly ChannelInterval[], startMs: number, endMs: number): { starts: number[]; ends: number[] } {
  const byChannel = new Map<string, [number, number][]>();
  for (const i of intervals) {
    const s = Math.max(i.startMs, startMs);
    const e = Math.min(i.endMs, endMs);
    if (e <= s) continue;
    const list = byChannel.get(i.channel);
    if (list) list.push([s, e]);
    else byChannel.set(i.channel, [[s, e]]);
  }
  const starts: number[] = [];
  const ends: number[] = [];
  for (const list of byChannel.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let [s, e] = list[0];
    for (let k = 1; k < list.length; k++) {
      const [ns, ne] = list[k];
      if (ns <= e) e = Math.max(e, ne);
      else {
        starts.push(s);
        ends.push(e);
        [s, e] = [ns, ne];
      }
    }
    starts.push(s);
    ends.push(e);
  }
  return { starts, ends };
}

/**
 * Peak concurrency of channels within [startMs, endMs). Intervals are half-open: one
 * ending at the instant another starts does not overlap it (a stream handed from one
 * recording to the next, or two streams back to back, count once).
 */
export function peakChannels(intervals: readonly ChannelInterval[], startMs: number, endMs: number): Peak {
  const merged = mergedPerChannel(intervals, startMs, endMs);
  const starts = Float64Array.from(merged.starts).sort();
  const ends = Float64Array.from(merged.ends).sort();
  const peak: Peak = { channels: 0, atMs: null };
  let now = 0;
  let j = 0;
  for (let i = 0; i < starts.length; i++) {
    // Every end up to this start comes first, one at the same instant too: that is what half-open means.
    while (j < ends.length && ends[j] <= starts[i]) {
      now--;
      j++;
    }
    now++;
    if (now > peak.channels) {
      peak.channels = now;
      peak.atMs = starts[i];
    }
  }
  return peak;
}
