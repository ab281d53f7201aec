// Which keyframes become thumbnails: the first keyframe at or after each interval boundary
// (boundaries on the publish clock, so a replay after a takeover picks the same frames).

/** The interval number of a time: thumbnails are taken once per number. */
export function intervalSlot(atMs: number, intervalSeconds: number): number {
  return Math.floor(atMs / (intervalSeconds * 1000));
}

export class KeyframeSampler {
  private lastSlot = -Infinity;

  constructor(private readonly intervalSeconds: number) {}

  /** Whether the keyframe published at `atMs` is taken (each call is a keyframe, in order). */
  take(atMs: number): boolean {
    const slot = intervalSlot(atMs, this.intervalSeconds);
    if (slot <= this.lastSlot) return false;
    this.lastSlot = slot;
    return true;
  }
}
