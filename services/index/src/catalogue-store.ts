import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CreateTableBuilder } from 'kysely';
import pg from 'pg';
import type { CatalogFile, DescribeFilesQuery, DescribeFilesResult, FileStored, SegmentStored, StreamRef } from '../../../libs/bus/index.js';
import type { CatalogueDb, RecordFilesTable, SegmentsTable } from './catalogue-schema.js';

export type CatalogueDriver = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

/** Record id of a file: derived from what identifies it, so that a redelivered event inserts nothing new. */
export function fileRecordId(recordingId: string, format: string, sequence: number): string {
  return `${recordingId}-${format}-${sequence}`;
}

/** The columns files and segments share: which stream, which recording, where stored, when. */
function storedObjectColumns<T extends string>(t: CreateTableBuilder<T, never>): CreateTableBuilder<T, never> {
  return t
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
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull()) as CreateTableBuilder<T, never>;
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
    await storedObjectColumns(this.db.schema.createTable('record_files').ifNotExists()
      .addColumn('record_id', 'text', (c) => c.primaryKey()))
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .execute();
    await this.db.schema.createIndex('record_files_stream_start').ifNotExists().on('record_files')
      .columns(['domain', 'app', 'stream', 'start_ms']).execute();
    await storedObjectColumns(this.db.schema.createTable('segments').ifNotExists()
      .addColumn('segment_id', 'text', (c) => c.primaryKey()))
      .addColumn('discontinuity', 'integer', (c) => c.notNull())
      .execute();
    await this.db.schema.createIndex('segments_stream_start').ifNotExists().on('segments')
      .columns(['domain', 'app', 'stream', 'start_ms']).execute();
    await this.db.schema.createIndex('segments_end').ifNotExists().on('segments').column('end_ms').execute();
    await this.db.schema.createIndex('record_files_end').ifNotExists().on('record_files').column('end_ms').execute();
    await this.db.schema.createTable('file_segments').ifNotExists()
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('segment_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('file_segments_pk', ['record_id', 'segment_key'])
      .execute();
    await this.db.schema.createIndex('file_segments_key').ifNotExists().on('file_segments').column('segment_key').execute();
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

  async addFile(ev: FileStored, now = Date.now(), recordId = fileRecordId(ev.file.recordingId, ev.file.format, ev.file.sequence)): Promise<string> {
    const f = ev.file;
    await this.db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('record_files').values({
      record_id: recordId,
      domain: f.stream.domain, app: f.stream.app, stream: f.stream.stream, recording_id: f.recordingId,
      format: f.format, sequence: f.sequence, object_key: ev.objectKey, storage_kind: ev.storage.kind,
      bucket: ev.storage.bucket, endpoint: ev.storage.endpoint, url: ev.url, start_ms: f.startMs, end_ms: f.endMs,
      duration_ms: f.durationMs, width: f.width, height: f.height, size: ev.size, sha256: ev.sha256, created_ms: now,
      }).onConflict((oc) => oc.column('record_id').doNothing()).executeTakeFirst();
      const keys = [...new Set(f.segmentKeys)];
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 && keys.length > 0) {
        for (let i = 0; i < keys.length; i += 500) {
          await tx.insertInto('file_segments').values(keys.slice(i, i + 500).map((k) => ({ record_id: recordId, segment_key: k })))
            .onConflict((oc) => oc.columns(['record_id', 'segment_key']).doNothing()).execute();
        }
      }
    });
    return recordId;
  }

  /** Segments of a stream overlapping [startMs, endMs), in time order. */
  async segmentsOverlapping(stream: StreamRef, startMs: number, endMs: number): Promise<SegmentsTable[]> {
    const rows = await this.db.selectFrom('segments').selectAll()
      .where('domain', '=', stream.domain).where('app', '=', stream.app).where('stream', '=', stream.stream)
      .where('start_ms', '<', endMs).where('end_ms', '>', startMs)
      .orderBy('start_ms').orderBy('recording_id').orderBy('sequence')
      .execute();
    return rows.map((r) => ({ ...r, start_ms: Number(r.start_ms), end_ms: Number(r.end_ms), duration_ms: Number(r.duration_ms), sequence: Number(r.sequence), size: Number(r.size), discontinuity: Number(r.discontinuity) }));
  }

  /** Only the time spans of the segments overlapping a range: what a timeline needs. */
  async segmentSpans(stream: StreamRef, startMs: number, endMs: number): Promise<{ start_ms: number; end_ms: number }[]> {
    const rows = await this.db.selectFrom('segments').select(['start_ms', 'end_ms'])
      .where('domain', '=', stream.domain).where('app', '=', stream.app).where('stream', '=', stream.stream)
      .where('start_ms', '<', endMs).where('end_ms', '>', startMs)
      .orderBy('start_ms').execute();
    return rows.map((r) => ({ start_ms: Number(r.start_ms), end_ms: Number(r.end_ms) }));
  }

  async hasSegments(stream: StreamRef): Promise<boolean> {
    const row = await this.db.selectFrom('segments').select('segment_id')
      .where('domain', '=', stream.domain).where('app', '=', stream.app).where('stream', '=', stream.stream)
      .limit(1).executeTakeFirst();
    return !!row;
  }

  /** Width and height of a recording, from any of its files. */
  async dimensionsOf(recordingId: string): Promise<{ width: number; height: number }> {
    const row = await this.db.selectFrom('record_files').select(['width', 'height']).where('recording_id', '=', recordingId).limit(1).executeTakeFirst();
    return { width: Number(row?.width ?? 0), height: Number(row?.height ?? 0) };
  }

  async fileRow(recordId: string): Promise<RecordFilesTable | undefined> {
    return this.db.selectFrom('record_files').selectAll().where('record_id', '=', recordId).executeTakeFirst();
  }

  async segmentKeysOf(recordId: string): Promise<string[]> {
    return (await this.db.selectFrom('file_segments').select('segment_key').where('record_id', '=', recordId).execute()).map((r) => r.segment_key);
  }

  /** Removes a file record; returns the segment keys that no remaining record references. */
  async removeFile(recordId: string): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const keys = (await tx.selectFrom('file_segments').select('segment_key').where('record_id', '=', recordId).execute()).map((r) => r.segment_key);
      await tx.deleteFrom('file_segments').where('record_id', '=', recordId).execute();
      await tx.deleteFrom('record_files').where('record_id', '=', recordId).execute();
      const orphans: string[] = [];
      for (const key of keys) {
        const other = await tx.selectFrom('file_segments').select('record_id').where('segment_key', '=', key).limit(1).executeTakeFirst();
        if (!other) orphans.push(key);
      }
      return orphans;
    });
  }

  async segmentRowByKey(key: string): Promise<SegmentsTable | undefined> {
    return this.db.selectFrom('segments').selectAll().where('object_key', '=', key).limit(1).executeTakeFirst();
  }

  async removeSegmentsByKey(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 500) await this.db.deleteFrom('segments').where('object_key', 'in', keys.slice(i, i + 500)).execute();
  }

  async isSegmentReferenced(key: string): Promise<boolean> {
    return !!(await this.db.selectFrom('file_segments').select('record_id').where('segment_key', '=', key).limit(1).executeTakeFirst());
  }

  /** Up to `limit` file records of a domain set that ended before the cutoff. */
  async expiredFiles(cutoffMs: number, domains: { only?: string; except?: string[] }, limit: number): Promise<RecordFilesTable[]> {
    let q = this.db.selectFrom('record_files').selectAll().where('end_ms', '<', cutoffMs);
    if (domains.only) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    return q.limit(limit).execute();
  }

  async expiredSegments(cutoffMs: number, domains: { only?: string; except?: string[] }, limit: number): Promise<SegmentsTable[]> {
    let q = this.db.selectFrom('segments').selectAll().where('end_ms', '<', cutoffMs);
    if (domains.only) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    return q.limit(limit).execute();
  }

  async removeSegmentIds(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.db.deleteFrom('segments').where('segment_id', 'in', ids.slice(i, i + 500)).execute();
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

export function toCatalogFile(r: RecordFilesTable): CatalogFile {
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
