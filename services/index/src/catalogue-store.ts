import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { CatalogFile, DescribeFilesQuery, DescribeFilesResult, FileStored, RecordingStateChanged, SegmentStored, StorageTarget, StreamRef } from '../../../libs/bus/index.js';
import { migrate, type Dialect } from './catalogue-migrations.js';
import type { CatalogueDb, ClipSegment, RecordFilesTable, SegmentsTable } from './catalogue-schema.js';
import { extendRun, recordPhase } from './recording-activity.js';
import { chunks, referencedAmong, spansInRange, spansOfKeys, type SegmentSpan } from './segment-references.js';

export type CatalogueDriver = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

/** Record id of a file: derived from what identifies it, so that a redelivered event inserts nothing new. */
export function fileRecordId(recordingId: string, format: string, sequence: number): string {
  return `${recordingId}-${format}-${sequence}`;
}

/** Where a segment object is, and whether its record is still catalogued (then it may still be clipped). */
export interface SegmentPlace {
  target: StorageTarget;
  catalogued: boolean;
}

function targetOf(r: { storage_kind: string; bucket: string; endpoint: string }): StorageTarget {
  return { kind: r.storage_kind as StorageTarget['kind'], bucket: r.bucket, endpoint: r.endpoint };
}

export class CatalogueStore {
  /** Prepared row-array statements of the SQLite hot paths, by SQL text. */
  private readonly rawStatements = new Map<string, SQLite.Statement>();

  private constructor(readonly db: Kysely<CatalogueDb>, readonly dialect: Dialect, private readonly sqlite: SQLite.Database | null) {}

  static async open(driver: CatalogueDriver): Promise<CatalogueStore> {
    let db: Kysely<CatalogueDb>;
    let sqlite: SQLite.Database | null = null;
    if (driver.driver === 'sqlite') {
      if (driver.path !== ':memory:') mkdirSync(dirname(driver.path), { recursive: true });
      sqlite = new SQLite(driver.path);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      db = new Kysely<CatalogueDb>({ dialect: new SqliteDialect({ database: sqlite }) });
    } else {
      // BIGINT and NUMERIC come back as strings by default; the catalogue's values fit in a double.
      pg.types.setTypeParser(20, (v) => Number(v));
      pg.types.setTypeParser(1700, (v) => Number(v));
      db = new Kysely<CatalogueDb>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: driver.url, max: 10 }) }) });
    }
    const store = new CatalogueStore(db, driver.driver, sqlite);
    await migrate(db, driver.driver);
    return store;
  }

  /** Catalogues a segment and extends its recording's runs (once: a repeated event adds nothing). */
  async addSegment(ev: SegmentStored, now = Date.now()): Promise<void> {
    const s = ev.segment;
    await this.db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('segments').values({
        segment_id: `${s.recordingId}-${s.sequence}`,
        domain: s.stream.domain, app: s.stream.app, stream: s.stream.stream, recording_id: s.recordingId,
        sequence: s.sequence, object_key: ev.objectKey, storage_kind: ev.storage.kind, bucket: ev.storage.bucket,
        endpoint: ev.storage.endpoint, url: ev.url, start_ms: s.startMs, end_ms: s.endMs, duration_ms: s.durationMs,
        discontinuity: s.discontinuity ? 1 : 0, size: ev.size, sha256: ev.sha256, created_ms: now,
      }).onConflict((oc) => oc.column('segment_id').doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) await extendRun(tx, this.dialect, s);
    });
  }

  /** Notes a recording's new phase (from its state event). */
  async addRecordingState(ev: RecordingStateChanged): Promise<void> {
    await recordPhase(this.db, ev);
  }

  /** The row a stored file becomes. */
  static fileRowOf(ev: FileStored, now: number, recordId = fileRecordId(ev.file.recordingId, ev.file.format, ev.file.sequence)): RecordFilesTable {
    const f = ev.file;
    return {
      record_id: recordId,
      domain: f.stream.domain, app: f.stream.app, stream: f.stream.stream, recording_id: f.recordingId,
      format: f.format, sequence: f.sequence, object_key: ev.objectKey, storage_kind: ev.storage.kind,
      bucket: ev.storage.bucket, endpoint: ev.storage.endpoint, url: ev.url, start_ms: f.startMs, end_ms: f.endMs,
      duration_ms: f.durationMs, width: f.width, height: f.height, size: ev.size, sha256: ev.sha256, created_ms: now,
    };
  }

  /** Catalogues a recorder's file and the segment objects it lists (once: a repeated event adds nothing). */
  async addFile(ev: FileStored, now = Date.now(), recordId?: string): Promise<string> {
    const row = CatalogueStore.fileRowOf(ev, now, recordId);
    await this.db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('record_files').values(row).onConflict((oc) => oc.column('record_id').doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) await this.addReferences(tx, row.record_id, ev.file.segmentKeys);
    });
    return row.record_id;
  }

  /**
   * Catalogues a created index file, which references every segment of its stream within
   * [startMs, endMs] (one range row, however many segments: a 4-day clip has ~11 k).
   */
  async addIndexFile(ev: FileStored, span: { startMs: number; endMs: number }, now: number, recordId: string): Promise<void> {
    const row = CatalogueStore.fileRowOf(ev, now, recordId);
    const s = ev.file.stream;
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('record_files').values(row).execute();
      await tx.insertInto('file_ranges').values({ record_id: recordId, domain: s.domain, app: s.app, stream: s.stream, start_ms: span.startMs, end_ms: span.endMs }).execute();
    });
  }

  /** One statement for all of a file's references: a row-per-call insert spends its time crossing into the driver. */
  private async addReferences(tx: Transaction<CatalogueDb>, recordId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.dialect === 'sqlite') {
      await sql`INSERT INTO file_segments (record_id, segment_key) SELECT ${recordId}, value FROM json_each(${JSON.stringify(keys)}) WHERE true ON CONFLICT DO NOTHING`.execute(tx);
    } else {
      await sql`INSERT INTO file_segments (record_id, segment_key) SELECT ${recordId}, k FROM unnest(${keys}::text[]) AS k ON CONFLICT DO NOTHING`.execute(tx);
    }
  }

  /**
   * Hands each segment of a stream overlapping [startMs, endMs) to `each`, in time order,
   * with only the columns a clip into `target` needs (a URL only for segments stored
   * elsewhere). Rows are not collected: a long clip's playlist is written as they come.
   */
  async eachClipSegment(stream: StreamRef, startMs: number, endMs: number, target: StorageTarget, each: (row: ClipSegment) => void): Promise<void> {
    const query = this.db.selectFrom('segments')
      .select((eb) => [
        'object_key', 'recording_id', 'start_ms', 'end_ms', 'duration_ms', 'discontinuity',
        eb.case().when(eb.and([eb('storage_kind', '=', target.kind), eb('bucket', '=', target.bucket), eb('endpoint', '=', target.endpoint)]))
          .then(sql<string | null>`NULL`).else(eb.ref('url')).end().as('url'),
      ])
      .where('domain', '=', stream.domain).where('app', '=', stream.app).where('stream', '=', stream.stream)
      .where('start_ms', '<', endMs).where('end_ms', '>', startMs)
      .orderBy('start_ms').orderBy('recording_id').orderBy('sequence');
    if (!this.sqlite) {
      for (const r of await query.execute()) each(r);
      return;
    }
    // Row arrays: better-sqlite3 builds row objects property by property, at a third more cost.
    const { sql: text, parameters } = query.compile();
    for (const r of this.rawStatement(text).iterate(...parameters) as Iterable<[string, string, number, number, number, number, string | null]>) {
      each({ object_key: r[0], recording_id: r[1], start_ms: r[2], end_ms: r[3], duration_ms: r[4], discontinuity: r[5], url: r[6] });
    }
  }

  private rawStatement(text: string): SQLite.Statement {
    let stmt = this.rawStatements.get(text);
    if (!stmt) {
      stmt = this.sqlite!.prepare(text).raw(true);
      this.rawStatements.set(text, stmt);
    }
    return stmt;
  }

  /** Only the time spans of the segments overlapping a range: what a timeline needs (answered from the span index alone). */
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

  /** Removes a file record; returns the segment keys it referenced that no remaining record references. */
  async removeFile(recordId: string): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const listed = (await tx.selectFrom('file_segments').select('segment_key').where('record_id', '=', recordId).execute()).map((r) => r.segment_key);
      const range = await tx.selectFrom('file_ranges').selectAll().where('record_id', '=', recordId).executeTakeFirst();
      const spans = await spansOfKeys(tx, listed);
      if (range) for (const s of await spansInRange(tx, range)) spans.set(s.object_key, s);
      await tx.deleteFrom('file_segments').where('record_id', '=', recordId).execute();
      await tx.deleteFrom('file_ranges').where('record_id', '=', recordId).execute();
      await tx.deleteFrom('record_files').where('record_id', '=', recordId).execute();
      const candidates = [...new Set([...listed, ...spans.keys()])];
      if (candidates.length === 0) return [];
      const referenced = await referencedAmong(tx, candidates, [...spans.values()]);
      return candidates.filter((k) => !referenced.has(k));
    });
  }

  /** Where each of these segment objects is: from its record, or from the note kept when its record expired. Unknown keys are absent. */
  async placesOf(keys: string[]): Promise<Map<string, SegmentPlace>> {
    const out = new Map<string, SegmentPlace>();
    for (const part of chunks([...new Set(keys)])) {
      const rows = await this.db.selectFrom('segments').select(['object_key', 'storage_kind', 'bucket', 'endpoint']).where('object_key', 'in', part).execute();
      for (const r of rows) out.set(r.object_key, { target: targetOf(r), catalogued: true });
      const missing = part.filter((k) => !out.has(k));
      if (missing.length === 0) continue;
      const kept = await this.db.selectFrom('retained_segments').select(['object_key', 'storage_kind', 'bucket', 'endpoint']).where('object_key', 'in', missing).execute();
      for (const r of kept) out.set(r.object_key, { target: targetOf(r), catalogued: false });
    }
    return out;
  }

  /** Forgets segment objects that were deleted: their records and their retention notes. */
  async removeSegmentsByKey(keys: string[]): Promise<void> {
    for (const part of chunks(keys)) {
      await this.db.deleteFrom('segments').where('object_key', 'in', part).execute();
      await this.db.deleteFrom('retained_segments').where('object_key', 'in', part).execute();
    }
  }

  async forgetRetained(keys: string[]): Promise<void> {
    for (const part of chunks(keys)) await this.db.deleteFrom('retained_segments').where('object_key', 'in', part).execute();
  }

  /** Which of these segments (catalogued rows) a file still references. */
  async referencedSegments(rows: SegmentSpan[]): Promise<Set<string>> {
    return referencedAmong(this.db, rows.map((r) => r.object_key), rows);
  }

  /** Which of these segment keys (catalogued or retained) a file, or a media-library merge, still references. */
  async referencedKeys(keys: string[]): Promise<Set<string>> {
    const spans = await spansOfKeys(this.db, keys);
    return referencedAmong(this.db, keys, [...spans.values()]);
  }

  async isSegmentReferenced(key: string): Promise<boolean> {
    const span = (await spansOfKeys(this.db, [key])).get(key);
    return (await referencedAmong(this.db, [key], span ? [span] : [])).has(key);
  }

  /** Up to `limit` file records of a domain set that ended before the cutoff. */
  async expiredFiles(cutoffMs: number, domains: { only?: string; except?: string[] }, limit: number): Promise<RecordFilesTable[]> {
    let q = this.db.selectFrom('record_files').selectAll().where('end_ms', '<', cutoffMs)
      // A media-library asset's file lives as long as the asset (DeleteVideo removes both).
      .where(sql<boolean>`not exists (select 1 from media_assets a where a.record_id = record_files.record_id)`);
    if (domains.only) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    return q.limit(limit).execute();
  }

  /**
   * Up to `limit` segment records of a domain set that ended before the cutoff, but for those a
   * media-library asset's playlist plays: listed by the recording file of an m3u8 (or cmaf)
   * asset, or taken over by an m3u8 merge whose original was deleted. They live, record and
   * object, as long as the asset (DeleteVideo).
   */
  async expiredSegments(cutoffMs: number, domains: { only?: string; except?: string[] }, limit: number): Promise<SegmentsTable[]> {
    let q = this.db.selectFrom('segments').selectAll().where('end_ms', '<', cutoffMs)
      .where(sql<boolean>`not exists (select 1 from file_segments fs join media_assets a on a.record_id = fs.record_id
        where fs.segment_key = segments.object_key and a.format in ('m3u8', 'cmaf'))`)
      .where(sql<boolean>`not exists (select 1 from media_asset_segments m where m.segment_key = segments.object_key)`);
    if (domains.only) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    return q.limit(limit).execute();
  }

  /**
   * Drops expired segment records. Those a file still references keep a note of
   * where their object is, so that it is deleted from the right bucket when the
   * last such file goes.
   */
  async expireSegments(rows: SegmentsTable[], referenced: Set<string>, now = Date.now()): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const kept = rows.filter((r) => referenced.has(r.object_key)).map((r) => ({
        object_key: r.object_key, storage_kind: r.storage_kind, bucket: r.bucket, endpoint: r.endpoint,
        domain: r.domain, app: r.app, stream: r.stream, start_ms: r.start_ms, end_ms: r.end_ms, retained_ms: now,
      }));
      for (const part of chunks(kept)) await tx.insertInto('retained_segments').values(part).onConflict((oc) => oc.column('object_key').doNothing()).execute();
      for (const part of chunks(rows.map((r) => r.segment_id))) await tx.deleteFrom('segments').where('segment_id', 'in', part).execute();
    });
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
