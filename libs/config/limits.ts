// Ranges of the recording parameters. The relaxed set exists only so that tests
// can exercise cycles and reconnect windows in seconds instead of minutes.

export interface Range { min: number; max: number }

export interface RecordLimits {
  sliceSeconds: Range;
  cycleSeconds: Range;
  delaySeconds: Range;
  /** Cycle override from an on-demand callback's Interval. */
  intervalSeconds: Range;
}

export const STANDARD_LIMITS: RecordLimits = {
  sliceSeconds: { min: 5, max: 30 },
  cycleSeconds: { min: 15 * 60, max: 360 * 60 },
  delaySeconds: { min: 15, max: 21600 },
  intervalSeconds: { min: 5, max: 21600 },
};

export const RELAXED_LIMITS: RecordLimits = {
  sliceSeconds: { min: 1, max: 30 },
  cycleSeconds: { min: 1, max: 360 * 60 },
  delaySeconds: { min: 1, max: 21600 },
  intervalSeconds: { min: 1, max: 21600 },
};

export function recordLimits(relaxed: boolean): RecordLimits {
  return relaxed ? RELAXED_LIMITS : STANDARD_LIMITS;
}

export function inRange(value: number, range: Range): boolean {
  return Number.isFinite(value) && value >= range.min && value <= range.max;
}
