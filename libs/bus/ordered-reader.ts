// An ordered read of one subject of a stream that survives losing a broker node.
//
// nats-server before 2.12 places an ephemeral (R1) consumer of a replicated
// stream on any of the stream's peers, a dead one included, for as long as that
// peer stays in the stream's peer set: about one creation in three then gets no
// answer at all (nats-server PR #7165). And the nats.js 3.x ordered consumer never
// recovers once the node holding it dies: after missed heartbeats or a reconnect it
// asks for the consumer's info, which times out, and it retries that forever.
// So a creation is retried with a short timeout, and a reader that receives
// nothing while its subject has newer messages replaces its consumer with one
// starting after the last message delivered: no message lost or repeated.
import {
  DeliverPolicy, jetstream, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type OrderedConsumerOptions, type StoredMsg,
} from '@nats-io/jetstream';
import type { Logger } from '../telemetry/index.js';
import type { Bus } from './connection.js';

export interface OrderedMessages extends AsyncIterable<JsMsg> {
  /** Ends the iteration (also from outside the loop). */
  stop(): void;
}

export interface OrderedReadOptions {
  /** Messages asked for at a time. */
  maxMessages?: number;
  /** Silence with newer messages on the subject for this long means the consumer is lost. */
  stallMs?: number;
  /** Answer time of one creation attempt: a consumer placed on a dead node never answers. */
  createTimeoutMs?: number;
  /** Creation attempts before the read fails. */
  createAttempts?: number;
  /** Hears of consumers that could not be deleted (they then stay until the broker's inactivity limit). */
  log?: Logger;
}

const DEFAULTS: Required<Omit<OrderedReadOptions, 'log'>> & { log?: Logger } = { maxMessages: 64, stallMs: 4000, createTimeoutMs: 2000, createAttempts: 8 };

/** The last message of `subject` in `stream`; null when the subject has none. */
export function lastMessageOn(jsm: JetStreamManager, stream: string, subject: string): Promise<StoredMsg | null> {
  return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch((err: Error) => {
    if (/no message found/i.test(err.message)) return null;
    throw err;
  });
}

/** Reads `opts.filter_subjects` (one subject) of `stream` in order, from where `opts` says. */
export async function readOrdered(bus: Bus, stream: string, opts: Partial<OrderedConsumerOptions>, read: OrderedReadOptions = {}): Promise<OrderedMessages> {
  const o = { ...DEFAULTS, ...read };
  const js = jetstream(bus.nc, { timeout: o.createTimeoutMs });
  const reader = new ResilientReader(bus, js, stream, opts, o);
  await reader.open();
  return reader;
}

/** A consumer and its message flow; the consumer is deleted when the flow is stopped. */
interface Reading {
  messages: ConsumerMessages;
  end(): void;
}

class ResilientReader implements OrderedMessages {
  private current: Reading | null = null;
  private stopped = false;
  private checking = false;
  private timer: NodeJS.Timeout | null = null;
  /** Stream sequence of the last message handed out (the start's predecessor before any). */
  private lastSeq = 0;
  private lastAt = Date.now();
  private delivered = false;
  private readonly subject: string | null;

  constructor(
    private readonly bus: Bus,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly opts: Partial<OrderedConsumerOptions>,
    private readonly o: typeof DEFAULTS,
  ) {
    const f = opts.filter_subjects;
    this.subject = typeof f === 'string' ? f : Array.isArray(f) && f.length === 1 ? f[0] : null;
  }

  async open(): Promise<void> {
    if (this.opts.deliver_policy === DeliverPolicy.New && this.subject) {
      // "Only what comes next" is a sequence once the reader has to start over (a wrong 0 would replay the subject).
      this.lastSeq = await this.retried(() => this.lastOnSubject()).then((m) => m?.seq ?? 0);
    } else if (this.opts.deliver_policy === DeliverPolicy.StartSequence && this.opts.opt_start_seq) {
      this.lastSeq = this.opts.opt_start_seq - 1;
    }
    this.current = await this.create(this.opts);
    if (this.subject) {
      this.timer = setInterval(() => void this.check(), Math.max(250, this.o.stallMs / 2));
      this.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.current?.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    try {
      while (!this.stopped && this.current) {
        const consumer = this.current;
        for await (const m of consumer.messages) {
          // A replaced consumer may still hand over what its successor delivers again.
          if (m.seq <= this.lastSeq && this.delivered) continue;
          this.delivered = true;
          this.lastSeq = m.seq;
          yield m;
          // Silence counts from when the caller asks for more, not while it works on a message.
          this.lastAt = Date.now();
          if (this.stopped || this.current !== consumer) break;
        }
        if (this.stopped || this.current === consumer) return;
      }
    } finally {
      this.stop();
    }
  }

  /** Creates an ordered consumer, retrying what a lost node or an election makes fail. */
  private create(opts: Partial<OrderedConsumerOptions>): Promise<Reading> {
    return this.retried(async () => {
      // A fresh name each time (the client writes its name prefix into the options it is given):
      // retrying under the old name would ask for the very consumer placed on the dead node.
      const { name_prefix: _named, ...fresh } = opts;
      const consumer = await this.js.consumers.get(this.stream, fresh);
      const messages = await consumer.consume({ max_messages: this.o.maxMessages });
      return {
        messages,
        end: () => {
          messages.stop();
          // Otherwise it stays on the broker for its 5-minute inactivity limit, counted at every message of the stream;
          // that limit is what remains when deleting fails (a lost node).
          if (!this.bus.nc.isClosed()) {
            consumer.delete().catch((err: Error) => {
              // Gone already (the client replaced it, or the broker dropped it): that is what was asked for.
              if (/consumer not found/i.test(err.message)) return;
              this.o.log?.warn({ stream: this.stream, err: err.message }, 'ordered read: could not delete its consumer; the broker drops it after 5 minutes of inactivity');
            });
          }
        },
      };
    });
  }

  private async retried<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= this.o.createAttempts || this.stopped || this.bus.nc.isClosed() || /stream not found/i.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
      }
    }
  }

  private lastOnSubject() {
    return lastMessageOn(this.bus.jsm, this.stream, this.subject!);
  }

  /** Silent while the subject moved on: the consumer is gone with its node; continue after the last message. */
  private async check(): Promise<void> {
    if (this.checking || this.stopped || Date.now() - this.lastAt < this.o.stallMs) return;
    this.checking = true;
    try {
      const last = await this.lastOnSubject();
      if (!last || this.stopped || Date.now() - this.lastAt < this.o.stallMs) return;
      const behind = this.delivered || this.opts.deliver_policy !== DeliverPolicy.StartTime
        ? last.seq > this.lastSeq
        : last.time.getTime() >= Date.parse(this.opts.opt_start_time ?? '');
      if (!behind) return;
      const from: Partial<OrderedConsumerOptions> = this.delivered || this.opts.deliver_policy === DeliverPolicy.New
        ? { filter_subjects: this.opts.filter_subjects, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 }
        : this.opts;
      const next = await this.create(from);
      if (this.stopped) {
        next.end();
        return;
      }
      const old = this.current;
      this.current = next;
      this.lastAt = Date.now();
      old?.end();
    } catch (err) {
      // The broker is still electing or the creation failed: the next check tries again.
      this.o.log?.debug({ stream: this.stream, err: (err as Error).message }, 'ordered read: replacing a silent consumer failed; trying again');
    } finally {
      this.checking = false;
    }
  }
}
