import {
  CONSUMERS, INDEX_METHODS, RpcFailure, STREAMS, SUBJECTS, consumeDurable, serve, streamLabel,
  type Bus, type CatalogFile, type ContentQuery, type ContentRange, type CreateIndexQuery, type CreateIndexResult,
  type DeleteRecordsQuery, type DeleteRecordsResult, type DescribeFileQuery, type DescribeFilesQuery, type DescribeFilesResult,
  type FileStored, type LiveChannels, type RecordingStateChanged, type Running, type SegmentStored, type UsageQuery, type UsageResult,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { CatalogueStore } from './catalogue-store.js';
import { contentRanges } from './index-file.js';
import { createIndexFile } from './index-file-creator.js';
import type { OrphanDeps } from './orphan-segments.js';
import { deleteRecords } from './record-deletion.js';
import { serveLibrary } from './library-rpc.js';
import { retentionPolicy, sweepExpired } from './retention.js';
import { ThumbnailIndex } from './thumbnail-index.js';
import { liveChannels, usageReport } from './usage-report.js';

/** Keeps the catalogue of stored segments and files and answers queries over it. */
export class IndexService {
  private readonly log = componentLogger('index');
  private consumer: Running | null = null;
  private phases: Running | null = null;
  private servers: { stop(): void }[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private thumbnails: ThumbnailIndex | null = null;
  private readonly storage: StorageRegistry;
  store!: CatalogueStore;

  constructor(private bus: Bus, private config: Config) {
    this.storage = new StorageRegistry(config);
  }

  private get deps(): OrphanDeps {
    return { store: this.store, backendFor: (t) => this.storage.backendFor(t), log: this.log };
  }

  async start(): Promise<void> {
    const c = this.config.catalogue;
    this.store = await CatalogueStore.open(c.driver === 'sqlite' ? { driver: 'sqlite', path: c.sqlitePath } : { driver: 'postgres', url: c.postgresUrl });
    this.consumer = await consumeDurable<SegmentStored | FileStored>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.index, filterSubject: SUBJECTS.storageAll,
      component: 'index', log: this.log, concurrency: 1,
    }, async (ev, msg) => {
      if (msg.subject === SUBJECTS.segmentStored) await this.store.addSegment(ev as SegmentStored);
      else if (msg.subject === SUBJECTS.fileStored) {
        const recordId = await this.store.addFile(ev as FileStored);
        this.log.info({ recordId, objectKey: ev.objectKey }, 'file catalogued');
      }
    });
    // Which recordings are recording now: the live part of the usage figures.
    this.phases = await consumeDurable<RecordingStateChanged>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.indexRecordings, filterSubject: SUBJECTS.recordingState,
      component: 'index', log: this.log, concurrency: 1,
    }, (ev) => this.store.addRecordingState(ev));
    // Thumbnails (catalogue, listing) and the cover and track of described files.
    const thumbnails = new ThumbnailIndex(this.bus, this.log, (t) => this.storage.backendFor(t));
    this.thumbnails = thumbnails;
    await thumbnails.start(this.store);
    const queue = 'index';
    this.servers.push(
      serve<DescribeFilesQuery, DescribeFilesResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFiles), 'index', this.log, async (q) => {
        const r = await this.store.describeFiles(q);
        return { ...r, files: await thumbnails.withThumbnails(r.files) };
      }, queue),
      serve<DescribeFileQuery, CatalogFile>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFile), 'index', this.log, async (q) => {
        const file = await this.store.describeFile(q.recordId);
        if (!file || (q.stream && (file.stream.domain !== q.stream.domain || file.stream.app !== q.stream.app || file.stream.stream !== q.stream.stream))) {
          throw new RpcFailure({ code: 'not_found', message: `record_id ${q.recordId} not found` });
        }
        return (await thumbnails.withThumbnails([file]))[0];
      }, queue),
      serve<CreateIndexQuery, CreateIndexResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.createIndexFile), 'index', this.log, async (q) => {
        const r = await createIndexFile(q, this.deps);
        this.log.info({ recordId: r.file.recordId, objectKey: q.objectKey, segments: r.segmentCount, discontinuities: r.discontinuityCount }, 'index file created');
        return r;
      }, queue),
      serve<DeleteRecordsQuery, DeleteRecordsResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.deleteRecords), 'index', this.log, async (q) => {
        const r = await deleteRecords(q, this.deps);
        this.log.info({ stream: streamLabel(q.stream), results: r.results, deletedObjects: r.deletedObjects }, 'records deleted');
        return r;
      }, queue),
      serve<ContentQuery, ContentRange[]>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.content), 'index', this.log, async (q) =>
        contentRanges(await this.store.segmentSpans(q.stream, q.startMs, q.endMs), q.startMs, q.endMs), queue),
      serve<UsageQuery, UsageResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.usage), 'index', this.log, (q) => usageReport(this.store.db, q, Date.now()), queue),
      serve<Record<string, never>, LiveChannels[]>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.liveChannels), 'index', this.log, () => liveChannels(this.store.db), queue),
    );
    // The media library's tables (services/library and the api's library methods).
    this.servers.push(...serveLibrary(this.bus, this.store.db, this.deps, this.log, queue));
    const policy = retentionPolicy(this.config);
    // One sweep at a time, files first: a file that expires takes its thumbnail track (and its
    // objects) with it, before the thumbnail sweep would take that track for an orphan.
    let sweeping = false;
    this.sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void (async () => {
        await sweepExpired(this.deps, policy, Date.now()).catch((err) => this.log.error({ err: (err as Error).message }, 'retention sweep failed'));
        await thumbnails.sweep(policy).catch((err) => this.log.error({ err: (err as Error).message }, 'thumbnail retention sweep failed'));
      })().finally(() => (sweeping = false));
    }, this.config.retention.sweepSeconds * 1000);
    this.sweeper.unref();
    this.log.info({ driver: c.driver }, 'index ready');
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.storage.close();
    for (const s of this.servers) s.stop();
    this.servers = [];
    await this.consumer?.stop();
    this.consumer = null;
    await this.phases?.stop();
    this.phases = null;
    await this.thumbnails?.stop();
    this.thumbnails = null;
    await this.store?.close();
  }
}
