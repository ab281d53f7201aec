import { EventEmitter } from 'node:events';
import type { Bus, StorageTarget } from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { SECONDS_BUCKETS, componentLogger, meter } from '../../../libs/telemetry/index.js';
import { reportServiceFailure } from '../../../libs/runtime/index.js';
import { StorageRegistry, type StorageBackend } from '../../../libs/storage/index.js';
import { SpoolWatch } from './spool-watch.js';
import { StorageFailure, StorageHealth } from './storage-health.js';
import { storeJob } from './store-job.js';
import { UploadQueue, type UploaderEvents } from './upload-queue.js';

export interface UploaderOptions {
  /** Acknowledgement deadline of the durable consumer when this service creates it. */
  ackWaitMs?: number;
  /** How stale the shared view of the queue may get while a file waits for jobs another uploader holds. */
  recheckMs?: number;
}

/**
 * Moves closed segments and finalized files from the spool into storage, in the
 * order of each recording (a file after the segments it lists). The spool copy is
 * deleted only after the stored object is verified to hold its bytes, so a crash
 * at any point loses nothing.
 */
export class UploaderService {
  private readonly log = componentLogger('storage-uploader');
  private readonly storage: StorageRegistry;
  private readonly spool: SpoolWatch;
  private queue: UploadQueue | null = null;
  /** stored / failed / waiting, as they happen. */
  readonly events = new EventEmitter<UploaderEvents>();

  constructor(private bus: Bus, config: Config, private opts: UploaderOptions = {}) {
    this.storage = new StorageRegistry(config);
    this.spool = new SpoolWatch(bus, config.spool.dir, config.spool.maxBytes, this.log);
    this.countEvents();
    const health = new StorageHealth(bus, config, this.log);
    this.events.on('failed', ({ error }) => {
      if (error instanceof StorageFailure) health.failed(error.target, error.cause);
    });
    this.events.on('stored', ({ job }) => health.succeeded(job.storage));
    // The queue stopped reading: the host restarts this service (nothing is lost, the jobs stay queued).
    this.events.on('halted', (err) => reportServiceFailure(err));
  }

  backendFor(target: StorageTarget): StorageBackend {
    return this.storage.backendFor(target);
  }

  async start(): Promise<void> {
    this.queue = new UploadQueue({
      bus: this.bus, log: this.log, slots: 4, ackWaitMs: this.opts.ackWaitMs ?? 60000, recheckMs: this.opts.recheckMs ?? 5000,
      events: this.events, store: (job) => storeJob(job, { bus: this.bus, backendFor: (t) => this.backendFor(t) }),
    });
    await this.queue.start();
    this.spool.start();
    this.log.info('storage uploader ready');
  }

  private countEvents(): void {
    const m = meter('storage-uploader');
    const uploaded = m.createCounter('liverecord_uploader_objects_total', { description: 'Objects stored' });
    const bytes = m.createCounter('liverecord_uploader_bytes_total', { description: 'Bytes stored' });
    const failures = m.createCounter('liverecord_uploader_failures_total', { description: 'Failed upload attempts (retried), by whether the stored copy was corrupt' });
    const lost = m.createCounter('liverecord_uploader_lost_total', { description: 'Jobs whose spool copy was gone and whose object was never stored' });
    const waits = m.createCounter('liverecord_uploader_order_waits_total', { description: 'Times a file found earlier jobs of its recording still queued' });
    const latency = m.createHistogram('liverecord_uploader_upload_seconds', { description: 'Time to store one object', unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
    this.events.on('stored', ({ job, outcome, seconds }) => {
      if (outcome.outcome === 'lost') {
        lost.add(1, { kind: job.kind });
        this.log.error({ job: job.id, objectKey: job.objectKey }, 'spool file missing and object not stored; the data is lost');
        return;
      }
      uploaded.add(1, { kind: job.kind });
      if (outcome.outcome === 'stored') {
        bytes.add(outcome.info.size, { kind: job.kind });
        latency.record(seconds, { kind: job.kind });
      }
      this.log.debug({ job: job.id, objectKey: job.objectKey, size: outcome.info.size, outcome: outcome.outcome }, 'stored');
    });
    this.events.on('failed', ({ job, corrupt }) => failures.add(1, { kind: job.kind, corrupt: String(corrupt) }));
    this.events.on('waiting', () => waits.add(1));
  }

  async stop(): Promise<void> {
    this.spool.stop();
    await this.queue?.stop();
    this.queue = null;
    this.storage.close();
  }
}
