// Turns sampled keyframes into stored, catalogued thumbnails, away from the recording:
// a bounded queue, a few ffmpeg decodes at once, each JPEG kept in the recording's spool
// (for its files' sprite sheets) and put to the configured storage under its object names.
// A thumbnail that cannot be made is logged and counted, never a failure of the recording.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUBJECTS, publishDurable, type Bus, type SnapshotConfig, type StreamRef, type ThumbnailStored } from '../../../../libs/bus/index.js';
import { annexBKeyframe, keyframeToJpeg, type JpegImage } from '../../../../libs/media/index.js';
import type { StorageRegistry } from '../../../../libs/storage/index.js';
import { meter, type Logger } from '../../../../libs/telemetry/index.js';
import { intervalSlot } from './keyframe-sampler.js';
import { thumbnailKey, tierHeight } from './thumbnail-names.js';

/** One keyframe chosen for a thumbnail, as the segmenter saw it. */
export interface KeyframeSample {
  codec: 'avc' | 'hevc';
  /** The decoder configuration record in force (avcC / hvcC). */
  record: Buffer;
  /** The keyframe's length-prefixed NAL units. */
  frame: Buffer;
  /** When its batch was published (media-plane time): names and catalogues the thumbnail. */
  atMs: number;
  /** Its time on the recording's timeline (media time, kept across a takeover): picks the frames. */
  timelineMs: number;
}

export interface ThumbnailJob {
  sample: KeyframeSample;
  config: SnapshotConfig;
  stream: StreamRef;
  /** The recording's (or a snapshotted session's) id: thumbnails of one are made in order. */
  recordingId: string;
  /** Where the recording keeps its thumbnails for its files' sprite sheets; null: a stream not recorded (no files). */
  thumbsDir: string | null;
}

/** Decodes at once per worker: each is a short ffmpeg process (~50-150 ms of one core). */
const CONCURRENCY = 2;
/** Jobs waiting beyond the running ones; past this a thumbnail is skipped (a recording never waits). */
const QUEUE_LIMIT = 64;
const PUT_ATTEMPTS = 3;

/** The spool name of a thumbnail: its time, so a recording's thumbnails sort and select by time. */
export function spoolName(atMs: number): string {
  return `${String(atMs).padStart(15, '0')}.jpg`;
}

export class ThumbnailWorker {
  private readonly queue: ThumbnailJob[] = [];
  /** Recordings with a thumbnail being made: one at a time each, so a stream's "latest" object ends with its latest frame. */
  private readonly running = new Set<string>();
  /** Frame times (atMs) of each recording's thumbnails not finished yet (queued or running). */
  private readonly pending = new Map<string, number[]>();
  /** Who waits for a recording's thumbnails before a time to be finished. */
  private readonly idleWaiters = new Map<string, { beforeMs: number; resolve: () => void }[]>();
  private readonly m = meter('recorder');
  private readonly made = this.m.createCounter('liverecord_thumbnails_total', { description: 'Thumbnails decoded and stored' });
  private readonly failed = this.m.createCounter('liverecord_thumbnail_failures_total', { description: 'Thumbnails not made (by stage: busy, decode, spool, store, announce)' });
  private readonly seconds = this.m.createHistogram('liverecord_thumbnail_decode_seconds', { description: 'Time to decode one keyframe to a JPEG', advice: { explicitBucketBoundaries: [0.05, 0.1, 0.2, 0.5, 1, 2, 5] } });

  constructor(private bus: Bus, private storage: StorageRegistry, private log: Logger) {}

  /** Queues a thumbnail; returns false (and counts it) when the queue is full. Never waits. */
  submit(job: ThumbnailJob): boolean {
    if (this.queue.length >= QUEUE_LIMIT) {
      this.failed.add(1, { stage: 'busy' });
      this.log.warn({ recordingId: job.recordingId, atMs: job.sample.atMs }, 'thumbnail skipped: the decoders are behind');
      return false;
    }
    const pending = this.pending.get(job.recordingId) ?? [];
    pending.push(job.sample.atMs);
    this.pending.set(job.recordingId, pending);
    this.queue.push(job);
    this.pump();
    return true;
  }

  /** Resolves once no thumbnail of the recording is queued or being made. */
  idle(recordingId: string): Promise<void> {
    return this.idleBefore(recordingId, Infinity);
  }

  /**
   * Resolves once no thumbnail of the recording with a frame before `beforeMs` is queued or being
   * made (a file's track needs only its own time's; a live recording is rarely idle as a whole).
   */
  idleBefore(recordingId: string, beforeMs: number): Promise<void> {
    if (!this.pendingBefore(recordingId, beforeMs)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.idleWaiters.get(recordingId) ?? [];
      list.push({ beforeMs, resolve });
      this.idleWaiters.set(recordingId, list);
    });
  }

  private pendingBefore(recordingId: string, beforeMs: number): boolean {
    return (this.pending.get(recordingId) ?? []).some((t) => t < beforeMs);
  }

  private pump(): void {
    while (this.running.size < CONCURRENCY) {
      // The oldest job of a recording not being served: streams take turns, each in order.
      const at = this.queue.findIndex((j) => !this.running.has(j.recordingId));
      if (at < 0) return;
      const [job] = this.queue.splice(at, 1);
      this.running.add(job.recordingId);
      void this.make(job).finally(() => {
        this.running.delete(job.recordingId);
        this.finished(job.recordingId, job.sample.atMs);
        this.pump();
      });
    }
  }

  private finished(recordingId: string, atMs: number): void {
    const pending = this.pending.get(recordingId) ?? [];
    const at = pending.indexOf(atMs);
    if (at >= 0) pending.splice(at, 1);
    if (pending.length === 0) this.pending.delete(recordingId);
    const waiters = this.idleWaiters.get(recordingId);
    if (!waiters) return;
    const still = waiters.filter((w) => {
      if (this.pendingBefore(recordingId, w.beforeMs)) return true;
      w.resolve();
      return false;
    });
    if (still.length > 0) this.idleWaiters.set(recordingId, still);
    else this.idleWaiters.delete(recordingId);
  }

  private async make(job: ThumbnailJob): Promise<void> {
    const { sample, config, stream, recordingId } = job;
    const ctx = { recordingId, atMs: sample.atMs };
    let image: JpegImage;
    const started = performance.now();
    try {
      image = await keyframeToJpeg(sample.codec, annexBKeyframe(sample.codec, sample.record, sample.frame), tierHeight(config.resolution));
      this.seconds.record((performance.now() - started) / 1000);
    } catch (err) {
      this.failed.add(1, { stage: 'decode' });
      this.log.warn({ ...ctx, err: (err as Error).message }, 'thumbnail not decoded');
      return;
    }
    if (job.thumbsDir) try {
      await mkdir(job.thumbsDir, { recursive: true });
      await writeFile(join(job.thumbsDir, spoolName(sample.atMs)), image.jpeg);
    } catch (err) {
      // Still stored and catalogued below; only the file's sprite sheets will lack it.
      this.failed.add(1, { stage: 'spool' });
      this.log.warn({ ...ctx, err: (err as Error).message }, 'thumbnail not kept for the sprite sheets');
    }
    const objects: { key: string; overwrite: boolean }[] = [];
    const slot = intervalSlot(sample.timelineMs, config.intervalSeconds);
    if (config.sequenceObject) objects.push({ key: thumbnailKey(config.sequenceObject, stream, sample.atMs, slot), overwrite: false });
    if (config.overwriteObject) objects.push({ key: thumbnailKey(config.overwriteObject, stream, sample.atMs, slot), overwrite: true });
    for (const o of objects) {
      let stored: ThumbnailStored;
      try {
        const backend = this.storage.backendFor(config.storage);
        const put = await this.withRetry(() => backend.putBytes(o.key, image.jpeg, 'image/jpeg'));
        stored = {
          stream, recordingId, atMs: sample.atMs, objectKey: o.key, storage: config.storage, url: backend.urlOf(o.key),
          size: put.size, width: image.width, height: image.height, overwrite: o.overwrite,
        };
      } catch (err) {
        this.failed.add(1, { stage: 'store' });
        this.log.warn({ ...ctx, objectKey: o.key, err: (err as Error).message }, 'thumbnail not stored');
        continue;
      }
      try {
        // One id per object and frame: a replay after a takeover announces the same thumbnail once.
        await publishDurable(this.bus, SUBJECTS.thumbnailStored, stored, `thumb:${config.storage.endpoint}|${config.storage.bucket}|${o.key}|${sample.atMs}`);
        this.made.add(1, { kind: o.overwrite ? 'overwrite' : 'sequence' });
      } catch (err) {
        this.failed.add(1, { stage: 'announce' });
        this.log.warn({ ...ctx, objectKey: o.key, err: (err as Error).message }, 'thumbnail stored but not catalogued');
      }
    }
  }

  private async withRetry<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (attempt >= PUT_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
}
