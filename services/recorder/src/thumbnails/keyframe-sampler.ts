// Which keyframes become thumbnails: the first keyframe at or after each interval boundary.
// Boundaries are on the recording's timeline (media time, its offset kept in the snapshot):
// exact whatever the delivery jitter, and a replay after a takeover picks the same frames.

/** The interval number of a time: thumbnails are taken once per number. */
export function intervalSlot(atMs: number, intervalSeconds: number): number {
  return Math.floor(atMs / (intervalSeconds * 1000));
}

export class KeyframeSampler {
  private lastSlot = -Infinity;

  constructor(private readonly intervalSeconds: number) {}

  /** Whether the keyframe at `timelineMs` is taken (each call is a keyframe, in order). */
  take(timelineMs: number): boolean {
    const slot = intervalSlot(timelineMs, this.intervalSeconds);
    if (slot <= this.lastSlot) return false;
    this.lastSlot = slot;
    return true;
  }
}
