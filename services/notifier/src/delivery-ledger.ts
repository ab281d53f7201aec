import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { BUCKETS, type Bus } from '../../../libs/bus/index.js';

/**
 * The notifier's record of callbacks in flight and done, by callback id. Not in
 * libs/bus BUCKETS yet: it belongs to the notifier alone.
 */
export const DELIVERY_BUCKET = BUCKETS.callbacks;
/** How long a delivered id is remembered: far beyond any publish retry or redelivery. */
export const DEDUPE_WINDOW_MS = 24 * 3600 * 1000;

type Entry = { state: 'sending' | 'delivered' | 'abandoned'; at: number };

export type Claim =
  | { kind: 'claimed'; revision: number }
  /** Handled before (delivered or given up): a copy of the same event. */
  | { kind: 'done'; state: 'delivered' | 'abandoned' }
  /** Another delivery of the same id is in progress (another notifier instance). */
  | { kind: 'busy' };

/**
 * Once-per-id delivery across copies of an event and across notifier instances: a
 * delivery first claims its id (KV create), and marks it delivered (or abandoned)
 * when done; a failed attempt releases the claim for the retry. A claim whose holder
 * died is taken over once older than `staleAfterMs`.
 */
export class DeliveryLedger {
  private constructor(private kv: KV) {}

  /** Creates the bucket, or opens it as it is when it exists with another configuration. */
  static async open(bus: Bus): Promise<DeliveryLedger> {
    const kv = await bus.kvm.create(DELIVERY_BUCKET, { history: 1, ttl: DEDUPE_WINDOW_MS, replicas: bus.replicas })
      .catch(() => bus.kvm.open(DELIVERY_BUCKET));
    return new DeliveryLedger(kv);
  }

  async claim(id: string, staleAfterMs: number, now = Date.now()): Promise<Claim> {
    const sending = JSON.stringify({ state: 'sending', at: now } satisfies Entry);
    try {
      return { kind: 'claimed', revision: await this.kv.create(id, sending) };
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT') return this.claim(id, staleAfterMs, now);
    const entry = e.json<Entry>();
    if (entry.state !== 'sending') return { kind: 'done', state: entry.state };
    if (now - entry.at < staleAfterMs) return { kind: 'busy' };
    try {
      return { kind: 'claimed', revision: await this.kv.update(id, sending, e.revision) };
    } catch (err) {
      if (isWrongLastSequence(err)) return { kind: 'busy' }; // another instance took it over first
      throw err;
    }
  }

  async finish(id: string, revision: number, state: 'delivered' | 'abandoned'): Promise<void> {
    await this.kv.update(id, JSON.stringify({ state, at: Date.now() } satisfies Entry), revision);
  }

  async release(id: string, revision: number): Promise<void> {
    await this.kv.delete(id, { previousSeq: revision });
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
