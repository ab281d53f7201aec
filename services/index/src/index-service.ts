import { randomBytes } from 'node:crypto';
import {
  CONSUMERS, INDEX_METHODS, RpcFailure, STREAMS, SUBJECTS, consumeDurable, serve, streamLabel,
  type Bus, type CatalogFile, type ContentQuery, type ContentRange, type CreateIndexQuery, type CreateIndexResult,
  type DeleteRecordsQuery, type DeleteRecordsResult, type DescribeFileQuery, type DescribeFilesQuery, type DescribeFilesResult,
  type FileStored, type Running, type SegmentStored,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { composePlaylist } from '../../../libs/hls/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { CatalogueStore, toCatalogFile } from './catalogue-store.js';
import { contentRanges, indexFileSegments, selectSegments } from './index-file.js';
import { retentionPolicy, sweepExpired } from './retention.js';

/** Keeps the catalogue of stored segments and files and answers queries over it. */
export class IndexService {
  private readonly log = componentLogger('index');
  private consumer: Running | null = null;
  private servers: { stop(): void }[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private readonly storage: StorageRegistry;
  store!: CatalogueStore;

  constructor(private bus: Bus, private config: Config) {
    this.storage = new StorageRegistry(config);
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
    const queue = 'index';
    this.servers.push(
      serve<DescribeFilesQuery, DescribeFilesResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFiles), 'index', this.log, (q) => this.store.describeFiles(q), queue),
      serve<DescribeFileQuery, CatalogFile>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFile), 'index', this.log, async (q) => {
        const file = await this.store.describeFile(q.recordId);
        if (!file || (q.stream && (file.stream.domain !== q.stream.domain || file.stream.app !== q.stream.app || file.stream.stream !== q.stream.stream))) {
          throw new RpcFailure({ code: 'not_found', message: `record_id ${q.recordId} not found` });
        }
        return file;
      }, queue),
      serve<CreateIndexQuery, CreateIndexResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.createIndexFile), 'index', this.log, (q) => this.createIndexFile(q), queue),
      serve<DeleteRecordsQuery, DeleteRecordsResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.deleteRecords), 'index', this.log, (q) => this.deleteRecords(q), queue),
      serve<ContentQuery, ContentRange[]>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.content), 'index', this.log, async (q) =>
        contentRanges(await this.store.segmentSpans(q.stream, q.startMs, q.endMs), q.startMs, q.endMs), queue),
    );
    const policy = retentionPolicy(this.config);
    this.sweeper = setInterval(() => {
      sweepExpired(this.store, this.storage, policy, Date.now(), this.log).catch((err) => this.log.error({ err: (err as Error).message }, 'retention sweep failed'));
    }, this.config.retention.sweepSeconds * 1000);
    this.sweeper.unref();
    this.log.info({ driver: c.driver }, 'index ready');
  }

  /** A new m3u8 over the stored segments of a range, written to storage and catalogued. */
  async createIndexFile(q: CreateIndexQuery): Promise<CreateIndexResult> {
    if (!(await this.store.hasSegments(q.stream))) throw new RpcFailure({ code: 'not_found', message: `stream ${streamLabel(q.stream)} has no recorded segments` });
    const overlapping = await this.store.segmentsOverlapping(q.stream, q.startMs, q.endMs);
    const shortest = Math.min(...overlapping.map((r) => r.duration_ms));
    if (overlapping.length > 0 && q.endMs - q.startMs < shortest) {
      throw new RpcFailure({ code: 'invalid_argument', message: `end_time: the range (${(q.endMs - q.startMs) / 1000} s) is shorter than one segment (${shortest / 1000} s)` });
    }
    const rows = selectSegments(overlapping, q.startMs, q.endMs, q.endIncluded);
    if (rows.length === 0) throw new RpcFailure({ code: 'invalid_argument', message: 'start_time: no complete recorded segment lies in the range' });
    const { segments, discontinuities } = indexFileSegments(rows, q.target);
    const body = Buffer.from(composePlaylist({ playlistKey: q.objectKey, segments }));
    const backend = this.storage.backendFor(q.target);
    const stored = await backend.putBytes(q.objectKey, body, 'application/vnd.apple.mpegurl');
    const first = rows[0];
    const last = rows[rows.length - 1];
    const dims = await this.store.dimensionsOf(first.recording_id);
    const recordingId = `idx${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    const recordId = await this.store.addFile({
      objectKey: q.objectKey, storage: q.target, size: stored.size, sha256: stored.sha256, url: backend.urlOf(q.objectKey),
      file: {
        stream: q.stream, recordingId, format: 'm3u8', sequence: 0, startMs: first.start_ms, endMs: last.end_ms,
        durationMs: rows.reduce((a, r) => a + r.duration_ms, 0), width: dims.width, height: dims.height,
        segmentKeys: rows.map((r) => r.object_key), pushArgs: {},
      },
    }, Date.now(), `${recordingId}-m3u8-0`);
    this.log.info({ recordId, objectKey: q.objectKey, segments: rows.length, discontinuities }, 'index file created');
    const row = await this.store.fileRow(recordId);
    return { file: toCatalogFile(row!), segmentCount: rows.length, discontinuityCount: discontinuities };
  }

  /** Deletes records of one stream; with removeFile also their objects and the segments nothing else references. */
  async deleteRecords(q: DeleteRecordsQuery): Promise<DeleteRecordsResult> {
    const result: DeleteRecordsResult = { results: [], deletedObjects: 0 };
    for (const recordId of q.recordIds) {
      const row = await this.store.fileRow(recordId);
      if (!row || row.domain !== q.stream.domain || row.app !== q.stream.app || row.stream !== q.stream.stream) {
        result.results.push({ recordId, message: 'NOT_FOUND' });
        continue;
      }
      const orphans = await this.store.removeFile(recordId);
      result.results.push({ recordId, message: 'OK' });
      if (!q.removeFile) continue;
      await this.storage.backendFor({ kind: row.storage_kind as 'local' | 's3', bucket: row.bucket, endpoint: row.endpoint }).delete(row.object_key);
      result.deletedObjects++;
      for (const key of orphans) {
        const seg = await this.store.segmentRowByKey(key);
        const target = seg ? { kind: seg.storage_kind as 'local' | 's3', bucket: seg.bucket, endpoint: seg.endpoint } : { kind: row.storage_kind as 'local' | 's3', bucket: row.bucket, endpoint: row.endpoint };
        await this.storage.backendFor(target).delete(key);
        result.deletedObjects++;
      }
      await this.store.removeSegmentsByKey(orphans);
    }
    this.log.info({ stream: streamLabel(q.stream), results: result.results, deletedObjects: result.deletedObjects }, 'records deleted');
    return result;
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.storage.close();
    for (const s of this.servers) s.stop();
    this.servers = [];
    await this.consumer?.stop();
    this.consumer = null;
    await this.store?.close();
  }
}
