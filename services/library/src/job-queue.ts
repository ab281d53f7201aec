// The library's work queues (merges, processing) shared by every library worker. A worker
// asks for a job only when it has nothing to do: one pulling ahead (as a consumer with a
// message buffer does) would hold jobs an idle worker could run, and their ack wait would run
// out while they wait, so that another worker took them too. A job being handled is kept
// alive with in-progress acks; a worker that dies stops those, and the job is redelivered to
// another worker once the ack wait runs out.
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { handleDelivery, type Bus, type Running } from '../../../libs/bus/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';

export interface JobQueueOptions {
  stream: string;
  durable: string;
  filterSubject: string;
  /** How long a job may go without an in-progress ack before it is redelivered (a dead worker's job). */
  ackWaitMs: number;
  component: string;
  log: Logger;
}

/** How long one pull waits for a job (also the longest a stop waits for the pull). */
const PULL_EXPIRES_MS = 1000;

export async function consumeJobs<T>(bus: Bus, opts: JobQueueOptions, handler: (payload: T) => Promise<void>): Promise<Running> {
  const ackWait = opts.ackWaitMs * 1e6;
  const existing = await bus.jsm.consumers.info(opts.stream, opts.durable).catch((err: unknown) => {
    // Only a missing queue is made here; any other failure is the caller's (the service does not start).
    if (/consumer not found|10014/i.test(String((err as Error)?.message ?? err))) return null;
    throw err;
  });
  if (!existing) {
    await bus.jsm.consumers.add(opts.stream, {
      durable_name: opts.durable, ack_policy: AckPolicy.Explicit, filter_subject: opts.filterSubject, ack_wait: ackWait,
      max_ack_pending: 1000, deliver_policy: DeliverPolicy.All,
    });
  } else if (existing.config.ack_wait !== ackWait) {
    // The configured ack wait applies to a queue made before with another.
    await bus.jsm.consumers.update(opts.stream, opts.durable, { ack_wait: ackWait });
  }
  const consumer = await bus.js.consumers.get(opts.stream, opts.durable);
  let stopping = false;

  const handle = async (msg: JsMsg): Promise<void> => {
    let payload: T;
    try {
      payload = msg.json<T>();
    } catch (err) {
      opts.log.error({ subject: msg.subject, seq: msg.seq, err: (err as Error).message }, 'dropping malformed job');
      msg.term();
      return;
    }
    await handleDelivery(msg, { component: opts.component, log: opts.log, workingEveryMs: Math.max(200, opts.ackWaitMs / 3), what: 'job' }, () => handler(payload));
  };

  const loop = (async () => {
    while (!stopping) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (err) {
        if (stopping) break;
        opts.log.warn({ durable: opts.durable, err: (err as Error).message }, 'could not pull a job; pulling again');
        await new Promise((r) => setTimeout(r, PULL_EXPIRES_MS));
        continue;
      }
      if (!msg) continue;
      if (stopping) {
        // Taken as the worker stops: straight back to the queue for another worker.
        msg.nak();
        break;
      }
      await handle(msg);
    }
  })();

  return {
    async stop() {
      stopping = true;
      await loop;
    },
  };
}
