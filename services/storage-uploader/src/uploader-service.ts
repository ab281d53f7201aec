import { rm, stat } from 'node:fs/promises';
import {
  CONSUMERS, RetryLater, STREAMS, SUBJECTS, consumeDurable, publishDurable,
  type Bus, type FileStored, type Running, type SegmentStored, type SpoolPressure, type StorageTarget, type UploadJob,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { SECONDS_BUCKETS, componentLogger, meter } from '../../../libs/telemetry/index.js';
import { StorageRegistry, dirSize, sha256File, type StorageBackend } from '../../../libs/storage/index.js';

/** About a quarter of an hour of waiting for a file's segments before it is stored regardless. */
const MAX_SEGMENT_WAITS = 40;

/**
 * Moves closed segments and finalized files from the spool into storage. Work
 * comes from a durable queue; the spool copy is deleted only after the stored
 * object's size and checksum match it, so a crash at any point loses nothing.
 */
export class UploaderService {
  private readonly log = componentLogger('storage-uploader');
  private consumer: Running | null = null;
  private readonly storage: StorageRegistry;
  private spoolTimer: NodeJS.Timeout | null = null;
  private spoolFull = false;
  private spoolBytes = 0;
  private readonly uploaded = meter('storage-uploader').createCounter('liverecord_uploader_objects_total', { description: 'Objects stored' });
  private readonly bytes = meter('storage-uploader').createCounter('liverecord_uploader_bytes_total', { description: 'Bytes stored' });
  private readonly latency = meter('storage-uploader').createHistogram('liverecord_uploader_upload_seconds', { description: 'Time to store one object', unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });

  constructor(private bus: Bus, private config: Config) {
    this.storage = new StorageRegistry(config);
  }

  backendFor(target: StorageTarget): StorageBackend {
    return this.storage.backendFor(target);
  }

  async start(): Promise<void> {
    this.consumer = await consumeDurable<UploadJob>(this.bus, {
      stream: STREAMS.uploads, durable: CONSUMERS.uploader, filterSubject: SUBJECTS.upload,
      component: 'storage-uploader', log: this.log, concurrency: 4, ackWaitMs: 60000,
    }, (job, msg) => this.handle(job, msg.info.deliveryCount));
    meter('storage-uploader').createObservableGauge('liverecord_spool_bytes', { description: 'Bytes waiting in the spool' }).addCallback((r) => r.observe(this.spoolBytes));
    this.spoolTimer = setInterval(() => void this.watchSpool(), 5000);
    this.log.info('storage uploader ready');
  }

  /** Tells the recorders when uploads fall behind so far that the spool passes its limit (nothing is dropped). */
  private async watchSpool(): Promise<void> {
    this.spoolBytes = await dirSize(this.config.spool.dir);
    const full = this.spoolBytes > this.config.spool.maxBytes;
    if (full === this.spoolFull) return;
    this.spoolFull = full;
    const ev: SpoolPressure = { bytes: this.spoolBytes, limit: this.config.spool.maxBytes, full, at: Date.now() };
    (full ? this.log.error.bind(this.log) : this.log.info.bind(this.log))(ev, full ? 'spool over its limit: storage is falling behind' : 'spool back under its limit');
    await publishDurable(this.bus, SUBJECTS.spoolPressure, ev).catch(() => undefined);
  }

  private async handle(job: UploadJob, attempt: number): Promise<void> {
    const started = performance.now();
    const backend = this.backendFor(job.storage);
    if (job.kind === 'file') {
      // A file appears only once everything it references is stored, so it always plays from storage.
      for (const key of job.file.segmentKeys) {
        if (await backend.exists(key)) continue;
        if (attempt < MAX_SEGMENT_WAITS) throw new RetryLater(`${job.objectKey} waits for its segment ${key}`, Math.min(30000, 1000 * attempt));
        // A segment that never arrives (its spool copy lost) must not hold the file back for ever.
        this.log.error({ objectKey: job.objectKey, missing: key, attempts: attempt }, 'storing the file although a segment it references is missing');
        break;
      }
    }
    const spoolExists = await stat(job.spoolPath).then(() => true, () => false);
    let stored;
    if (spoolExists) {
      const local = await sha256File(job.spoolPath);
      stored = await backend.put(job.objectKey, job.spoolPath, job.contentType);
      if (stored.size !== local.size || stored.sha256 !== local.sha256) {
        throw new Error(`stored ${job.objectKey} does not match its spool copy (size ${stored.size}/${local.size})`);
      }
    } else {
      // Redelivered after the spool copy was removed: the object must already be stored.
      stored = await backend.stat(job.objectKey);
      if (!stored) {
        this.log.error({ job: job.id, objectKey: job.objectKey }, 'spool file missing and object not stored; the data is lost');
        return;
      }
    }
    if (job.kind === 'init') {
      // The playlists reference it; nothing catalogues it on its own. Its spool copy stays
      // for the recorder, which prefixes it to fMP4 segments it joins into flv/mp4.
      this.uploaded.add(1, { kind: job.kind });
      return;
    }
    const base = { objectKey: job.objectKey, storage: job.storage, size: stored.size, sha256: stored.sha256, url: backend.urlOf(job.objectKey) };
    if (job.kind === 'segment') {
      const ev: SegmentStored = { ...base, segment: job.segment };
      await publishDurable(this.bus, SUBJECTS.segmentStored, ev, `stored:${job.id}`);
    } else {
      const ev: FileStored = { ...base, file: job.file };
      await publishDurable(this.bus, SUBJECTS.fileStored, ev, `stored:${job.id}`);
    }
    if (spoolExists) await rm(job.spoolPath, { force: true });
    this.uploaded.add(1, { kind: job.kind });
    this.bytes.add(stored.size, { kind: job.kind });
    this.latency.record((performance.now() - started) / 1000, { kind: job.kind });
    this.log.debug({ job: job.id, objectKey: job.objectKey, size: stored.size }, 'stored');
  }

  async stop(): Promise<void> {
    if (this.spoolTimer) clearInterval(this.spoolTimer);
    await this.consumer?.stop();
    this.consumer = null;
    this.storage.close();
  }
}
