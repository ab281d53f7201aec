/**
 * When to open a watch again after it ended by itself: 0.5 s, doubling up to 15 s; reset() once a
 * watch works again. One attempt is pending at a time; cancel() (a stop) drops it.
 */
export class ReopenBackoff {
  private delayMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly range = { firstMs: 500, maxMs: 15_000 }) {
    this.delayMs = range.firstMs;
  }

  /** The wait before the next attempt (for logs). */
  get nextInMs(): number {
    return this.delayMs;
  }

  reset(): void {
    this.delayMs = this.range.firstMs;
  }

  schedule(attempt: () => void): void {
    if (this.timer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.range.maxMs, delay * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      attempt();
    }, delay);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
