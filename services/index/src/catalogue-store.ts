import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { CatalogFile, DescribeFilesQuery, DescribeFilesResult, FileStored, SegmentStored } from '../../../libs/bus/index.js';
import type { CatalogueDb, RecordFilesTable } from './catalogue-schema.js';

export type CatalogueDriver = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

/** Record id of a file: derived from what identifies it, so that a redelivered event inserts nothing new. */
export function fileRecordId(recordingId: string, format: string, sequence: number): string {
  return `${recordingId}-${format}-${sequence}`;
}

export class CatalogueStore {
  private constructor(readonly db: Kysely<CatalogueDb>) {}

  static async open(driver: CatalogueDriver): Promise<CatalogueStore> {
    let db: Kysely<CatalogueDb>;
    if (driver.driver === 'sqlite') {
      if (driver.path !== ':memory:') mkdirSync(dirname(driver.path), { recursive: true });
      const database = new SQLite(driver.path);
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      db = new Kysely<CatalogueDb>({ dialect: new SqliteDialect({ database }) });
    } else {
      // BIGINT and NUMERIC come back as strings by default; the catalogue's values fit in a double.
      pg.types.setTypeParser(20, (v) => Number(v));
      pg.types.setTypeParser(1700, (v) => Number(v));
      db = new Kysely<CatalogueDb>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: driver.url, max: 10 }) }) });
    }
    const store = new CatalogueStore(db);
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    await this.db.schema.createTable('record_files').ifNotExists()
      .addColumn('record_id', 'text', (c) => c.primaryKey())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('app', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('recording_id', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('storage_kind', 'text', (c) => c.notNull())
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('start_ms', 'bigint', (c) => c.notNull())
      .addColumn('end_ms', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'bigint', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .execute();
    await this.db.schema.createIndex('record_files_stream_start').ifNotExists().on('record_files')
      .columns(['domain', 'app', 'stream', 'start_ms']).execute();
    await this.db.schema.createTable('segments').ifNotExists()
      .addColumn('segment_id', 'text', (c) => c.primaryKey())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('app', 'text', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('recording_id', 'text', (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('storage_kind', 'text', (c) => c.notNull())
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('start_ms', 'bigint', (c) => c.notNull())
      .addColumn('end_ms', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'bigint', (c) => c.notNull())
      .addColumn('discontinuity', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .execute();
    await this.db.schema.createIndex('segments_stream_start').ifNotExists().on('segments')
      .columns(['domain', 'app', 'stream', 'start_ms']).execute();
  }

  async addSegment(ev: SegmentStored, now = Date.now()): Promise<void> {
    const s = ev.segment;
    await this.db.insertInto('segments').values({
      segment_id: `${s.recordingId}-${s.sequence}`,
      domain: s.stream.domain, app: s.stream.app, stream: s.stream.stream, recording_id: s.recordingId,
      sequence: s.sequence, object_key: ev.objectKey, storage_kind: ev.storage.kind, bucket: ev.storage.bucket,
      endpoint: ev.storage.endpoint, url: ev.url, start_ms: s.startMs, end_ms: s.endMs, duration_ms: s.durationMs,
      discontinuity: s.discontinuity ? 1 : 0, size: ev.size, sha256: ev.sha256, created_ms: now,
    }).onConflict((oc) => oc.column('segment_id').doNothing()).execute();
  }

  async addFile(ev: FileStored, now = Date.now()): Promise<string> {
    const f = ev.file;
    const recordId = fileRecordId(f.recordingId, f.format, f.sequence);
    await this.db.insertInto('record_files').values({
      record_id: recordId,
      domain: f.stream.domain, app: f.stream.app, stream: f.stream.stream, recording_id: f.recordingId,
      format: f.format, sequence: f.sequence, object_key: ev.objectKey, storage_kind: ev.storage.kind,
      bucket: ev.storage.bucket, endpoint: ev.storage.endpoint, url: ev.url, start_ms: f.startMs, end_ms: f.endMs,
      duration_ms: f.durationMs, width: f.width, height: f.height, size: ev.size, sha256: ev.sha256, created_ms: now,
    }).onConflict((oc) => oc.column('record_id').doNothing()).execute();
    return recordId;
  }

  async describeFiles(q: DescribeFilesQuery): Promise<DescribeFilesResult> {
    const base = this.db.selectFrom('record_files')
      .where('domain', '=', q.stream.domain).where('app', '=', q.stream.app).where('stream', '=', q.stream.stream)
      .where('start_ms', '<', q.endMs).where('end_ms', '>', q.startMs);
    const [{ total }] = await base.select((eb) => eb.fn.countAll<number>().as('total')).execute();
    const rows = await base.selectAll()
      .orderBy('start_ms', q.order).orderBy('record_id', q.order)
      .limit(q.pageSize).offset((q.pageNum - 1) * q.pageSize)
      .execute();
    return { files: rows.map(toCatalogFile), total: Number(total) };
  }

  async describeFile(recordId: string): Promise<CatalogFile | null> {
    const row = await this.db.selectFrom('record_files').selectAll().where('record_id', '=', recordId).executeTakeFirst();
    return row ? toCatalogFile(row) : null;
  }

  async countSegments(): Promise<number> {
    const [{ n }] = await this.db.selectFrom('segments').select(sql<number>`count(*)`.as('n')).execute();
    return Number(n);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toCatalogFile(r: RecordFilesTable): CatalogFile {
  return {
    recordId: r.record_id,
    stream: { domain: r.domain, app: r.app, stream: r.stream },
    recordingId: r.recording_id,
    format: r.format as CatalogFile['format'],
    sequence: Number(r.sequence),
    objectKey: r.object_key,
    storage: { kind: r.storage_kind as 'local' | 's3', bucket: r.bucket, endpoint: r.endpoint },
    url: r.url,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    durationMs: Number(r.duration_ms),
    width: Number(r.width),
    height: Number(r.height),
    size: Number(r.size),
    createdMs: Number(r.created_ms),
  };
}
