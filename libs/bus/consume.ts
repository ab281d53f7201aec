import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { extractTrace, inSpan, type Logger } from '../telemetry/index.js';
import { headerCarrier, type Bus } from './connection.js';

/** Thrown by a handler to have the message delivered again after a delay. */
export class RetryLater extends Error {
  constructor(message: string, readonly delayMs = 1000) {
    super(message);
  }
}

export interface DurableConsumerOptions<T> {
  stream: string;
  durable: string;
  filterSubject: string;
  component: string;
  log: Logger;
  /** Messages handled at once; those with the same key are handled one after another, in order. */
  concurrency?: number;
  keyOf?: (payload: T, msg: JsMsg) => string;
  ackWaitMs?: number;
  /** For a new consumer: take only messages published from now on. */
  deliverNew?: boolean;
}

export interface Running {
  stop(): Promise<void>;
}

/**
 * Handles one delivered message: kept alive with in-progress acks while `handle` runs in a span
 * continuing the producer's trace, acked on success, naked with a delay (RetryLater's, or a
 * growing one) on failure, which is logged.
 */
export async function handleDelivery(
  msg: JsMsg, o: { component: string; log: Logger; workingEveryMs: number; what: string }, handle: () => Promise<void>,
): Promise<void> {
  const working = setInterval(() => msg.working(), o.workingEveryMs);
  try {
    await inSpan(o.component, `handle ${msg.subject}`, extractTrace(headerCarrier(msg.headers)), handle);
    msg.ack();
  } catch (err) {
    const delay = err instanceof RetryLater ? err.delayMs : Math.min(30000, 500 * 2 ** Math.min(msg.info.deliveryCount, 6));
    o.log.warn({ subject: msg.subject, seq: msg.seq, attempt: msg.info.deliveryCount, retryInMs: delay, err: (err as Error).message }, `${o.what} failed; will retry`);
    msg.nak(delay);
  } finally {
    clearInterval(working);
  }
}

/**
 * Runs a durable pull consumer: each message is parsed, handled in a span that
 * continues the producer's trace, and acked on success. A handler error naks
 * with a delay so the work is retried; nothing is dropped silently.
 */
export async function consumeDurable<T>(bus: Bus, opts: DurableConsumerOptions<T>, handler: (payload: T, msg: JsMsg) => Promise<void>): Promise<Running> {
  const ackWaitMs = opts.ackWaitMs ?? 30000;
  try {
    await bus.jsm.consumers.info(opts.stream, opts.durable);
  } catch {
    await bus.jsm.consumers.add(opts.stream, {
      durable_name: opts.durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: opts.filterSubject,
      ack_wait: ackWaitMs * 1e6,
      max_ack_pending: 1000,
      deliver_policy: opts.deliverNew ? DeliverPolicy.New : DeliverPolicy.All,
    });
  }
  const consumer = await bus.js.consumers.get(opts.stream, opts.durable);
  const concurrency = opts.concurrency ?? 1;
  const messages = await consumer.consume({ max_messages: Math.max(concurrency * 2, 10) });
  const chains = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();

  const handleOne = (msg: JsMsg, payload: T): Promise<void> =>
    handleDelivery(msg, { component: opts.component, log: opts.log, workingEveryMs: Math.max(1000, ackWaitMs / 3), what: 'handler' }, () => handler(payload, msg));

  const loop = (async () => {
    for await (const msg of messages) {
      let payload: T;
      try {
        payload = msg.json<T>();
      } catch (err) {
        opts.log.error({ subject: msg.subject, seq: msg.seq, err: (err as Error).message }, 'dropping malformed message');
        msg.term();
        continue;
      }
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const key = opts.keyOf ? opts.keyOf(payload, msg) : '';
      const prev = chains.get(key) ?? Promise.resolve();
      const p: Promise<void> = prev.then(() => handleOne(msg, payload));
      chains.set(key, p);
      const tracked = p.finally(() => {
        inFlight.delete(tracked);
        if (chains.get(key) === p) chains.delete(key);
      });
      inFlight.add(tracked);
    }
  })();

  return {
    async stop() {
      await messages.close().catch(() => undefined);
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
    },
  };
}
