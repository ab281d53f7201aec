import type { Bus } from '../bus/index.js';

/** Waits until a durable consumer has nothing pending or unacknowledged (or the timeout passes). */
export async function waitConsumerIdle(bus: Bus, stream: string, durable: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const info = await bus.jsm.consumers.info(stream, durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
