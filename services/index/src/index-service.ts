import {
  CONSUMERS, RpcFailure, STREAMS, SUBJECTS, consumeDurable, serve,
  type Bus, type CatalogFile, type DescribeFileQuery, type DescribeFilesQuery, type DescribeFilesResult,
  type FileStored, type Running, type SegmentStored,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { CatalogueStore } from './catalogue-store.js';

export const INDEX_METHODS = {
  describeFiles: 'describe_files',
  describeFile: 'describe_file',
} as const;

/** Keeps the catalogue of stored segments and files and answers queries over it. */
export class IndexService {
  private readonly log = componentLogger('index');
  private consumer: Running | null = null;
  private servers: { stop(): void }[] = [];
  store!: CatalogueStore;

  constructor(private bus: Bus, private config: Config) {}

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
    );
    this.log.info({ driver: c.driver }, 'index ready');
  }

  async stop(): Promise<void> {
    for (const s of this.servers) s.stop();
    this.servers = [];
    await this.consumer?.stop();
    this.consumer = null;
    await this.store?.close();
  }
}
