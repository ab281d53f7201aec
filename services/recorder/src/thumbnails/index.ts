// Thumbnails while recording, as the recorder hosts them: the watched snapshot configurations,
// a keyframe sink per segmenter run, the decode/store worker, and each finalized file's track.
// A stream that is recorded gets its thumbnails from its segmenter; one that is not, from
// live-snapshots.ts (its keyframes read off the media plane).
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus, FileMeta, StorageTarget, StreamRef } from '../../../../libs/bus/index.js';
import type { StorageRegistry } from '../../../../libs/storage/index.js';
import { meter, type Logger } from '../../../../libs/telemetry/index.js';
import { KeyframeSampler } from './keyframe-sampler.js';
import { SnapshotConfigs } from '../../../../libs/bus/snapshot-configs.js';
import { spoolTimes, storeThumbnailTrack } from './thumbnail-track.js';
import { ThumbnailWorker, spoolName, type KeyframeSample } from './thumbnail-worker.js';

export type { KeyframeSample } from './thumbnail-worker.js';

/** What of a recording the thumbnails need. */
export interface ThumbnailRecording {
  recordingId: string;
  stream: StreamRef;
  hasVideo: boolean;
  /** Its formats: each makes its own files, whose tracks need the spool thumbnails of their time. */
  plan: { formats: readonly { format: string }[] };
}

/** What of a recording's spool thumbnails its files' tracks still need. */
interface SpoolUse {
  /** The recording's formats. */
  formats: Set<string>;
  /** Per format, the end of its latest file whose track is done (made or given up on). */
  doneEndMs: Map<string, number>;
}

export class Thumbnails {
  private readonly configs: SnapshotConfigs;
  private readonly worker: ThumbnailWorker;
  /** Track jobs per recording, each with its file's start; the spool thumbnails they read stay until they are done. */
  private readonly tracks = new Map<string, Map<Promise<void>, number>>();
  private readonly spoolUse = new Map<string, SpoolUse>();
  private readonly trackFailures = meter('recorder').createCounter('liverecord_thumbnail_track_failures_total', { description: 'Files whose sprite sheets and WebVTT track could not be made' });

  constructor(private bus: Bus, private storage: StorageRegistry, private spoolDirOf: (recordingId: string) => string, private log: Logger) {
    this.configs = new SnapshotConfigs(bus, log);
    this.worker = new ThumbnailWorker(bus, storage, log);
  }

  async start(): Promise<void> {
    await this.configs.start();
  }

  private thumbsDir(recordingId: string): string {
    return join(this.spoolDirOf(recordingId), 'thumbs');
  }

  /**
   * For one segmenter run: where its keyframes go, or undefined when the stream has no
   * snapshot configuration (then the segmenter does nothing extra at all).
   */
  keyframeSink(rec: ThumbnailRecording): ((sample: KeyframeSample) => void) | undefined {
    if (!rec.hasVideo) return undefined;
    const config = this.configs.configFor(rec.stream);
    if (!config) return undefined;
    const sampler = new KeyframeSampler(config.intervalSeconds);
    const thumbsDir = this.thumbsDir(rec.recordingId);
    const use = this.spoolUse.get(rec.recordingId);
    const formats = new Set(rec.plan.formats.map((f) => f.format));
    if (use) use.formats = formats;
    else this.spoolUse.set(rec.recordingId, { formats, doneEndMs: new Map() });
    return (sample) => {
      if (!sampler.take(sample.timelineMs)) return;
      this.worker.submit({ sample, config, stream: rec.stream, recordingId: rec.recordingId, thumbsDir });
    };
  }

  /**
   * For a stream that is not recorded (live-snapshots.ts): where one session's keyframes go, or
   * undefined when the stream has no snapshot configuration. Its thumbnails are stored and
   * catalogued like a recording's (under the id `live-{sessionId}`); there are no files to tile.
   */
  sessionSink(stream: StreamRef, sessionId: string): ((sample: KeyframeSample) => void) | undefined {
    const config = this.configs.configFor(stream);
    if (!config) return undefined;
    const sampler = new KeyframeSampler(config.intervalSeconds);
    const recordingId = `live-${sessionId}`;
    return (sample) => {
      if (!sampler.take(sample.timelineMs)) return;
      this.worker.submit({ sample, config, stream, recordingId, thumbsDir: null });
    };
  }

  /** Resolves once a snapshotted session's thumbnails are all made. */
  sessionIdle(sessionId: string): Promise<void> {
    return this.worker.idle(`live-${sessionId}`);
  }

  /** A file was packaged and queued for upload: its sprite sheets and track follow in the background. */
  fileQueued(file: FileMeta, fileKey: string, target: StorageTarget): void {
    const { recordingId } = file;
    const job: Promise<void> = (async () => {
      // Thumbnails of the file's last seconds may still be decoding; later ones (the next file's) are not waited for.
      await this.worker.idleBefore(recordingId, file.endMs);
      const track = await storeThumbnailTrack({ bus: this.bus, storage: this.storage }, file, fileKey, target, this.thumbsDir(recordingId));
      if (track) this.log.info({ recordingId, format: file.format, sequence: file.sequence, vttKey: track.vttKey, sheets: track.spriteKeys.length, thumbnails: track.thumbnails }, 'thumbnail track stored');
    })().catch((err: unknown) => {
      this.trackFailures.add(1);
      this.log.error({ recordingId, format: file.format, sequence: file.sequence, err: (err as Error).message }, 'thumbnail track not made: the file has no scrubbing previews');
    }).finally(() => {
      const jobs = this.tracks.get(recordingId);
      jobs?.delete(job);
      if (jobs?.size === 0) this.tracks.delete(recordingId);
      const use = this.spoolUse.get(recordingId);
      if (use) use.doneEndMs.set(file.format, Math.max(use.doneEndMs.get(file.format) ?? -Infinity, file.endMs));
      return this.pruneSpool(recordingId).catch((err: unknown) => {
        // Reported here; the thumbnails left go when the recording ends.
        this.log.warn({ recordingId, err: (err as Error).message }, 'spool thumbnails not pruned');
      });
    });
    const jobs = this.tracks.get(recordingId) ?? new Map<Promise<void>, number>();
    jobs.set(job, file.startMs);
    this.tracks.set(recordingId, jobs);
  }

  /**
   * Deletes the spool thumbnails no track will read: those before the end of every format's latest
   * done file (each format's next file starts there) and before the start of every track being
   * made. So a long recording keeps about one file's time of thumbnails, not all of them.
   */
  private async pruneSpool(recordingId: string): Promise<void> {
    const use = this.spoolUse.get(recordingId);
    if (!use) return;
    let cutoff = Infinity;
    for (const format of use.formats) cutoff = Math.min(cutoff, use.doneEndMs.get(format) ?? -Infinity);
    for (const startMs of this.tracks.get(recordingId)?.values() ?? []) cutoff = Math.min(cutoff, startMs);
    if (!Number.isFinite(cutoff)) return;
    const dir = this.thumbsDir(recordingId);
    for (const t of await spoolTimes(dir)) {
      if (t < cutoff) await rm(join(dir, spoolName(t)), { force: true });
    }
  }

  /** The recording is over (its files queued, `filesDone` resolved): its spool thumbnails go once the tracks are made. */
  async recordingEnded(recordingId: string, filesDone: Promise<void>): Promise<void> {
    await filesDone;
    await this.worker.idle(recordingId);
    await Promise.allSettled([...(this.tracks.get(recordingId)?.keys() ?? [])]);
    this.spoolUse.delete(recordingId);
    await rm(this.thumbsDir(recordingId), { recursive: true, force: true });
    // The recording's folder goes too when nothing else is left in it (the finalizer's clean-up may have run first).
    await rmdir(this.spoolDirOf(recordingId)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY') this.log.warn({ recordingId, err: err.message }, 'spool folder not removed');
    });
  }

  /** Waits for every track being made (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.tracks.values()].flatMap((jobs) => [...jobs.keys()]));
  }

  stop(): void {
    this.configs.stop();
  }
}
