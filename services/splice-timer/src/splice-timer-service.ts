import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
import {
  BUCKETS, SUBJECTS, bucket, isNoResponders, publishDurable, request, streamLabel, streamToken,
  type ActorMessage, type ActorReply, type Bus, type TimerEntry,
} from '../../../libs/bus/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';

const RETRY_MS = 1000;
/** The watch is the fast path; this re-read catches what a stalled watch misses (its consumer on a lost broker node). */
const SWEEP_MS = 5000;

/**
 * Durable deadlines. Actors write a deadline into the timers bucket; this
 * service watches the bucket, fires each deadline at the owning actor and
 * deletes it only once the actor has answered. A restart re-reads the bucket,
 * so no deadline is lost, and an actor ignores a deadline it no longer waits for,
 * so a repeat does no harm.
 */
export class SpliceTimerService {
  private readonly log = componentLogger('splice-timer');
  private timers!: KV;
  private readonly scheduled = new Map<string, NodeJS.Timeout>();
  private watcher: { stop(): void } | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  private readonly fired = meter('splice-timer').createCounter('liverecord_splice_timer_fired_total', { description: 'Deadlines delivered to actors' });

  constructor(private bus: Bus) {}

  async start(): Promise<void> {
    this.timers = await bucket(this.bus, BUCKETS.timers);
    const iter = await this.timers.watch();
    this.watcher = { stop: () => iter.stop() };
    void (async () => {
      for await (const e of iter) this.onEntry(e);
    })();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.log.info('splice timer ready');
  }

  /** Schedules every deadline in the bucket that is not scheduled yet. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.bus.nc.isClosed()) return;
    this.sweeping = true;
    try {
      const keys: string[] = [];
      for await (const k of await this.timers.keys()) keys.push(k);
      for (const key of keys) {
        if (this.scheduled.has(key)) continue;
        const e = await this.timers.get(key);
        if (e && e.operation === 'PUT' && !this.scheduled.has(key)) {
          this.log.warn({ key }, 'deadline found by the periodic re-read (the watch missed it)');
          this.onEntry(e);
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not re-read the deadlines; trying again');
    } finally {
      this.sweeping = false;
    }
  }

  private onEntry(e: KvWatchEntry | KvEntry): void {
    this.cancel(e.key);
    if (e.operation !== 'PUT') return;
    let entry: TimerEntry;
    try {
      entry = e.json<TimerEntry>();
    } catch {
      this.log.error({ key: e.key }, 'malformed timer entry; deleting');
      void this.timers.delete(e.key);
      return;
    }
    this.schedule(entry, Math.max(0, entry.deadline - Date.now()));
  }

  private schedule(entry: TimerEntry, delayMs: number): void {
    this.cancel(entry.timerId);
    const t = setTimeout(() => void this.fire(entry), Math.min(delayMs, 2 ** 31 - 1));
    this.scheduled.set(entry.timerId, t);
  }

  private cancel(timerId: string): void {
    const t = this.scheduled.get(timerId);
    if (t) clearTimeout(t);
    this.scheduled.delete(timerId);
  }

  private async fire(entry: TimerEntry): Promise<void> {
    this.scheduled.delete(entry.timerId);
    try {
      const reply = await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(streamToken(entry.stream)), { type: 'timer', timerId: entry.timerId }, 10000);
      this.fired.add(1);
      this.log.info({ stream: streamLabel(entry.stream), timerId: entry.timerId, phase: reply.ok ? reply.phase : reply.phase }, 'deadline delivered');
      await publishDurable(this.bus, SUBJECTS.timerFired, entry, `fired:${entry.timerId}`);
      await this.timers.delete(entry.timerId);
    } catch (err) {
      if (this.bus.nc.isClosed()) return;
      // Owner down or busy: keep the deadline and try again; adoption brings the actor back.
      const why = isNoResponders(err) ? 'no actor answers' : (err as Error).message;
      this.log.warn({ stream: streamLabel(entry.stream), timerId: entry.timerId, why }, 'deadline not delivered yet; retrying');
      const still = await this.timers.get(entry.timerId).catch(() => null);
      if (still && still.operation === 'PUT') this.schedule(entry, RETRY_MS);
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.watcher?.stop();
    for (const t of this.scheduled.values()) clearTimeout(t);
    this.scheduled.clear();
  }
}
