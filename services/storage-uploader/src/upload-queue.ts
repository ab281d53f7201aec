import type { EventEmitter } from 'node:events';
import { AckPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, SUBJECTS, headerCarrier, type Bus, type UploadJob } from '../../../libs/bus/index.js';
import { ChecksumMismatchError, isChecksumRejection } from '../../../libs/storage/index.js';
import { extractTrace, inSpan, meter, type Logger } from '../../../libs/telemetry/index.js';
import { QueueBacklog } from './queue-backlog.js';
import { RecordingOrder, recordingOf } from './recording-order.js';
import type { StoreOutcome } from './store-job.js';

/** What the queue reports as it goes: metrics and logs are derived from it, and tests wait on it. */
export interface UploaderEvents {
  stored: [{ job: UploadJob; seq: number; outcome: StoreOutcome; seconds: number }];
  failed: [{ job: UploadJob; seq: number; error: Error; attempt: number; retryInMs: number; corrupt: boolean }];
  /** A file job found earlier jobs of its recording still in the queue (held elsewhere or waiting for a retry). */
  waiting: [{ job: UploadJob; seq: number; earlier: number[] }];
  /** The queue stopped reading (its subscription failed): uploads stop until a restart. */
  halted: [Error];
}

export interface UploadQueueOptions {
  bus: Bus;
  log: Logger;
  /** Uploads at once. A file waiting for its recording's earlier jobs holds no slot. */
  slots: number;
  /** Acknowledgement deadline of a new consumer; a job in progress is kept alive well within it. */
  ackWaitMs: number;
  /** How stale the shared view of the queue may get while a file waits for jobs another uploader holds. */
  recheckMs: number;
  events: EventEmitter<UploaderEvents>;
  store(job: UploadJob): Promise<StoreOutcome>;
}

class Stopping extends Error {}

function retryDelayMs(attempt: number): number {
  return Math.min(30000, 500 * 2 ** Math.min(attempt, 6));
}

/**
 * Consumes the upload work queue with per-recording order: segment and init jobs
 * are stored as they come (up to `slots` at once); a file job is stored, and
 * acknowledged, only once no earlier job of its recording is left — neither in
 * progress here (awaited through events) nor anywhere in the work queue (the
 * durable check, which also covers jobs an uploader held when it died).
 * A failure is retried with exponential backoff by a delayed nak.
 */
export class UploadQueue {
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly order = new RecordingOrder();
  private readonly backlog: QueueBacklog;
  private freeSlots: number;
  private readonly slotWaiters: (() => void)[] = [];
  private keepAliveMs = 10000;
  private readonly malformed = meter('storage-uploader').createCounter('liverecord_uploader_malformed_jobs_total', { description: 'Upload jobs that could not be parsed (terminated)' });

  constructor(private opts: UploadQueueOptions) {
    this.freeSlots = opts.slots;
    this.backlog = new QueueBacklog(opts.bus, STREAMS.uploads, CONSUMERS.uploader, SUBJECTS.upload);
  }

  async start(): Promise<void> {
    const { jsm, js } = this.opts.bus;
    let info = await jsm.consumers.info(STREAMS.uploads, CONSUMERS.uploader).catch((err: Error) => {
      if (!/not found/i.test(err.message)) throw err;
      return null;
    });
    info ??= await jsm.consumers.add(STREAMS.uploads, {
      durable_name: CONSUMERS.uploader, ack_policy: AckPolicy.Explicit, filter_subject: SUBJECTS.upload,
      ack_wait: this.opts.ackWaitMs * 1e6, max_ack_pending: 1000,
    });
    // The consumer may predate this configuration: keep jobs alive against its real deadline.
    this.keepAliveMs = Math.max(200, Math.floor((info.config.ack_wait ?? this.opts.ackWaitMs * 1e6) / 1e6 / 3));
    const consumer = await js.consumers.get(STREAMS.uploads, CONSUMERS.uploader);
    this.messages = await consumer.consume({ max_messages: Math.max(this.opts.slots * 4, 10) });
    this.loop = this.run(this.messages).catch((err: Error) => {
      // Nothing is lost (the jobs stay queued), but nothing is uploaded either until a restart.
      this.opts.log.error({ err: err.message }, 'upload queue stopped reading');
      this.opts.events.emit('halted', err);
    });
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      let job: UploadJob;
      try {
        job = msg.json<UploadJob>();
      } catch (err) {
        this.malformed.add(1);
        this.opts.log.error({ seq: msg.seq, err: (err as Error).message }, 'terminating a malformed upload job');
        msg.term();
        continue;
      }
      // A file takes its slot once its recording's earlier jobs are done; the others take one now,
      // which also stops reading while every slot is busy.
      if (job.kind !== 'file') await this.acquireSlot();
      const p: Promise<void> = this.process(job, msg, job.kind !== 'file')
        .catch((err: Error) => this.opts.log.error({ job: job.id, err: err.message }, 'could not settle an upload job; it will be redelivered'))
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    if (!this.stopping.signal.aborted) throw new Error('the upload queue subscription ended');
  }

  private async process(job: UploadJob, msg: JsMsg, haveSlot: boolean): Promise<void> {
    const recordingId = recordingOf(job);
    const seq = msg.seq;
    const attempt = msg.info.deliveryCount;
    const keepAlive = setInterval(() => msg.working(), this.keepAliveMs);
    let slot = haveSlot;
    try {
      if (!slot) {
        await this.waitForEarlier(job, recordingId, seq);
        await this.acquireSlot();
        slot = true;
      }
      this.order.started(recordingId, seq);
      const started = performance.now();
      try {
        const outcome = await inSpan('storage-uploader', `store ${job.kind}`, extractTrace(headerCarrier(msg.headers)), () => this.opts.store(job));
        // Confirmed, so that a file waiting on this job finds it gone from the queue.
        await msg.ackAck();
        this.backlog.acked(seq);
        this.opts.events.emit('stored', { job, seq, outcome, seconds: (performance.now() - started) / 1000 });
      } finally {
        this.order.finished(recordingId, seq);
      }
    } catch (err) {
      if (err instanceof Stopping) {
        msg.nak();
        return;
      }
      const error = err as Error;
      const retryInMs = retryDelayMs(attempt);
      const corrupt = error instanceof ChecksumMismatchError || isChecksumRejection(error);
      this.opts.log.warn({ job: job.id, objectKey: job.objectKey, attempt, retryInMs, corrupt, err: error.message },
        corrupt ? 'stored object does not match its spool copy; uploading again' : 'upload failed; will retry');
      this.opts.events.emit('failed', { job, seq, error, attempt, retryInMs, corrupt });
      msg.nak(retryInMs);
    } finally {
      clearInterval(keepAlive);
      if (slot) this.releaseSlot();
    }
  }

  /** Returns once no job of the recording before `seq` is in progress here or left in the queue. */
  private async waitForEarlier(job: UploadJob, recordingId: string, seq: number): Promise<void> {
    for (;;) {
      if (this.stopping.signal.aborted) throw new Stopping();
      if (this.order.runningBefore(recordingId, seq).length > 0) {
        await this.order.nextChange(recordingId, this.stopping.signal);
        continue;
      }
      const earlier = await this.backlog.earlierJobs(recordingId, seq, this.opts.recheckMs);
      if (earlier.length === 0) return;
      this.opts.events.emit('waiting', { job, seq, earlier });
      this.opts.log.info({ job: job.id, earlier }, 'file waits for earlier jobs of its recording');
      // A job redelivered here wakes this at once; the timer covers one held by another uploader.
      const wake = new AbortController();
      const onStop = () => wake.abort();
      this.stopping.signal.addEventListener('abort', onStop, { once: true });
      const timer = setTimeout(() => wake.abort(), this.opts.recheckMs);
      await this.order.nextChange(recordingId, wake.signal);
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }

  private acquireSlot(): Promise<void> {
    if (this.freeSlots > 0) {
      this.freeSlots--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.freeSlots++;
  }

  /** Stops reading; jobs being stored finish and are acknowledged, waiting files go back to the queue. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.messages = null;
  }
}
