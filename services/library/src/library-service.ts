import { join } from 'node:path';
import {
  CONSUMERS, STREAMS, SUBJECTS, consumeDurable, libraryClient, publishDurable,
  type Bus, type ComposeCandidate, type FileStored, type LibraryOps, type MediaAsset, type ProcessJob, type RecordingStateChanged, type Running,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { processingOf, registrationOf } from './asset-registration.js';
import { ComposeWorker } from './compose-worker.js';
import { consumeJobs } from './job-queue.js';
import { assetReady, processFinished, submitTask } from './library-events.js';
import { ProcessWorker } from './process-worker.js';

/**
 * The media library: every stored file of a media-library recording becomes an
 * asset; when such a recording ends, its cycle files are merged per format
 * (auto_compose); assets are post-processed by template groups. All of it runs
 * from durable consumers (events) and work queues (merges, processing), so any
 * number of library workers share it and a restart loses nothing. The catalogue
 * tables are the index's (lr.rpc.index.library_*).
 */
export class LibraryService {
  private readonly log = componentLogger('library');
  private readonly storage: StorageRegistry;
  private running: Running[] = [];
  private ops!: LibraryOps;
  private processor: ProcessWorker | null = null;
  private readonly registered = meter('library').createCounter('liverecord_library_assets_total', { description: 'Media assets registered, by source (record: a cycle file, compose: a merge)' });

  constructor(private readonly bus: Bus, private readonly config: Config) {
    this.storage = new StorageRegistry(config);
  }

  async start(): Promise<void> {
    this.ops = libraryClient(this.bus);
    const workDir = join(this.config.dataDir, 'library-work');
    const composer = new ComposeWorker(this.ops, this.storage, workDir, this.log, (a, created) => {
      if (created) this.registered.add(1, { source: 'compose' });
      return this.assetIsReady(a);
    });
    const processor = new ProcessWorker(this.ops, this.storage, workDir, this.log, (task, asset) => processFinished(this.bus, task, asset));
    this.processor = processor;
    const events = { stream: STREAMS.events, component: 'library', log: this.log };
    const jobs = { stream: STREAMS.libraryJobs, component: 'library', log: this.log, ackWaitMs: this.config.library.jobAckWaitMs };
    this.running.push(
      await consumeDurable<FileStored>(this.bus, { ...events, durable: CONSUMERS.libraryFiles, filterSubject: SUBJECTS.fileStored, concurrency: 4, keyOf: (ev) => ev.file.recordingId }, (ev) => this.onFileStored(ev)),
      await consumeDurable<RecordingStateChanged>(this.bus, { ...events, durable: CONSUMERS.libraryRecordings, filterSubject: SUBJECTS.recordingState, concurrency: 4, keyOf: (ev) => ev.recordingId }, (ev) => this.onRecordingState(ev)),
      // A job at a time per queue and worker, taken only when the worker is free: more workers
      // (processes) process more at once, and a dead worker's job goes to another (job-queue.ts).
      await consumeJobs<ComposeCandidate>(this.bus, { ...jobs, durable: CONSUMERS.libraryCompose, filterSubject: SUBJECTS.libraryCompose }, (job) => composer.run(job)),
      await consumeJobs<ProcessJob>(this.bus, { ...jobs, durable: CONSUMERS.libraryProcess, filterSubject: SUBJECTS.libraryProcess }, (job) => processor.run(job)),
    );
    this.log.info('media library ready');
  }

  private async onFileStored(ev: FileStored): Promise<void> {
    const registration = registrationOf(ev);
    if (!registration) return;
    const r = await this.ops.registerAsset(registration);
    if (r.created) this.registered.add(1, { source: 'record' });
    if (r.created) this.log.info({ assetId: r.asset.assetId, recordId: registration.recordId, objectKey: ev.objectKey }, 'media asset registered');
    await this.assetIsReady(r.asset);
    await this.queueMerges(r.compose);
  }

  private async onRecordingState(ev: RecordingStateChanged): Promise<void> {
    if (!ev.files || (ev.phase !== 'ended' && ev.phase !== 'failed')) return;
    await this.queueMerges(await this.ops.noteRecordingEnd({ recordingId: ev.recordingId, files: ev.files }));
  }

  /** Every step is idempotent (event and job msgIDs, task ids by asset and group), so a redelivery repeats it safely. */
  private async assetIsReady(asset: MediaAsset): Promise<void> {
    await assetReady(this.bus, asset);
    const processing = processingOf(asset.settings, asset.source);
    if (processing) await submitTask(this.bus, this.ops, asset.assetId, processing.groupId, processing.trigger);
  }

  private async queueMerges(candidates: ComposeCandidate[]): Promise<void> {
    for (const c of candidates) {
      await publishDurable(this.bus, SUBJECTS.libraryCompose, c, `compose:${c.recordingId}:${c.format}`);
      this.log.info({ recordingId: c.recordingId, format: c.format, files: c.assetIds.length }, 'recording complete: merge queued');
    }
  }

  async stop(): Promise<void> {
    // A transcode can take minutes: it is stopped and its job redelivered rather than waited for.
    this.processor?.abort();
    this.processor = null;
    await Promise.all(this.running.map((r) => r.stop()));
    this.running = [];
    this.storage.close();
  }
}
