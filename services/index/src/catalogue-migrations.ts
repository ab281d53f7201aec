import { sql, type CreateTableBuilder, type Kysely, type Transaction } from 'kysely';
import { INDEX_FILE_RECORDING_PREFIX, type CatalogueDb } from './catalogue-schema.js';
import { libraryMergeSegments, libraryRecordIndex, libraryTables } from './library-schema.js';
import { thumbnailTables } from './thumbnail-schema.js';

export type Dialect = 'sqlite' | 'postgres';

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

/** Version 1: the first schema (also what a catalogue made before versioning holds). */
async function v1(db: Transaction<CatalogueDb>): Promise<void> {
  await storedObjectColumns(db.schema.createTable('record_files').ifNotExists()
    .addColumn('record_id', 'text', (c) => c.primaryKey()))
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('record_files_stream_start').ifNotExists().on('record_files').columns(['domain', 'app', 'stream', 'start_ms']).execute();
  await storedObjectColumns(db.schema.createTable('segments').ifNotExists()
    .addColumn('segment_id', 'text', (c) => c.primaryKey()))
    .addColumn('discontinuity', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segments_stream_start').ifNotExists().on('segments').columns(['domain', 'app', 'stream', 'start_ms']).execute();
  await db.schema.createIndex('segments_end').ifNotExists().on('segments').column('end_ms').execute();
  await db.schema.createIndex('record_files_end').ifNotExists().on('record_files').column('end_ms').execute();
  await db.schema.createTable('file_segments').ifNotExists()
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_segments_pk', ['record_id', 'segment_key'])
    .execute();
  await db.schema.createIndex('file_segments_key').ifNotExists().on('file_segments').column('segment_key').execute();
}

/**
 * Version 2: segments found by object key (deletion and retention look each orphan up), files by recording;
 * a covering index for clips and timelines (SQLite; a span index on PostgreSQL); file_segments
 * without a rowid on SQLite (one B-tree less per reference); file_ranges, one row per created
 * index file instead of one per segment; retained_segments, so an orphan is deleted from its own bucket.
 */
async function v2(db: Transaction<CatalogueDb>, dialect: Dialect): Promise<void> {
  await db.schema.createIndex('segments_object_key').ifNotExists().on('segments').column('object_key').execute();
  if (dialect === 'sqlite') {
    // Everything a clip or a timeline reads, in clip order: those range queries never touch the
    // table (a 4-day clip reads ~11 k rows), at the cost of a second copy of these columns.
    await db.schema.createIndex('segments_clip').ifNotExists().on('segments').columns([
      'domain', 'app', 'stream', 'start_ms', 'recording_id', 'sequence', 'end_ms', 'duration_ms', 'discontinuity',
      'storage_kind', 'bucket', 'endpoint', 'object_key', 'url',
    ]).execute();
  } else {
    // PostgreSQL bounds an index entry to a third of a page, which long URLs could pass: the span only.
    await db.schema.createIndex('segments_stream_span').ifNotExists().on('segments').columns(['domain', 'app', 'stream', 'start_ms', 'end_ms']).execute();
  }
  await db.schema.dropIndex('segments_stream_start').ifExists().execute();
  // A clip takes its dimensions from a file of its first recording.
  await db.schema.createIndex('record_files_recording').ifNotExists().on('record_files').column('recording_id').execute();
  if (dialect === 'sqlite') {
    await db.schema.createTable('file_segments_v2')
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('segment_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('file_segments_v2_pk', ['record_id', 'segment_key'])
      .modifyEnd(sql`without rowid`)
      .execute();
    await sql`INSERT INTO file_segments_v2 (record_id, segment_key) SELECT record_id, segment_key FROM file_segments`.execute(db);
    await db.schema.dropTable('file_segments').execute();
    await db.schema.alterTable('file_segments_v2').renameTo('file_segments').execute();
    await db.schema.createIndex('file_segments_key').on('file_segments').column('segment_key').execute();
  }
  await db.schema.createTable('file_ranges').ifNotExists()
    .addColumn('record_id', 'text', (c) => c.primaryKey())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('file_ranges_stream').ifNotExists().on('file_ranges').columns(['domain', 'app', 'stream', 'start_ms']).execute();
  await db.schema.createTable('retained_segments').ifNotExists()
    .addColumn('object_key', 'text', (c) => c.primaryKey())
    .addColumn('storage_kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('domain', 'text')
    .addColumn('app', 'text')
    .addColumn('stream', 'text')
    .addColumn('start_ms', 'bigint')
    .addColumn('end_ms', 'bigint')
    .addColumn('retained_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retained_segments_stream').ifNotExists().on('retained_segments').columns(['domain', 'app', 'stream', 'start_ms']).execute();
  // Segments whose records expired before this version: a recorder's file lists segments of its
  // own storage target. (Keys only index files reference stay unknown and are never guessed.)
  await sql`INSERT INTO retained_segments (object_key, storage_kind, bucket, endpoint, retained_ms)
    SELECT fs.segment_key, MIN(rf.storage_kind), MIN(rf.bucket), MIN(rf.endpoint), ${Date.now()}
    FROM file_segments fs JOIN record_files rf ON rf.record_id = fs.record_id
    WHERE rf.recording_id NOT LIKE 'idx%' AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.object_key = fs.segment_key)
    GROUP BY fs.segment_key
    ON CONFLICT (object_key) DO NOTHING`.execute(db);
}

/**
 * Version 3: what the usage figures read. recording_runs, the stretches of contiguous media of each
 * recording, rebuilt here from the segments (gaps and islands: a segment starting after every earlier
 * one's end opens a run) and, for recordings whose segment records already expired, from their files;
 * recording_phases, the live state of recordings, filled from their state events from now on.
 */
async function v3(db: Transaction<CatalogueDb>): Promise<void> {
  await db.schema.createTable('recording_runs').ifNotExists()
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recording_runs_pk', ['recording_id', 'start_ms'])
    .execute();
  // A month's runs are those ending after it starts: every month but the latest reads a bounded slice.
  await db.schema.createIndex('recording_runs_end').ifNotExists().on('recording_runs').column('end_ms').execute();
  await db.schema.createIndex('recording_runs_domain_end').ifNotExists().on('recording_runs').columns(['domain', 'end_ms']).execute();
  await db.schema.createTable('recording_phases').ifNotExists()
    .addColumn('recording_id', 'text', (c) => c.primaryKey())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('since_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('recording_phases_phase').ifNotExists().on('recording_phases').columns(['phase', 'since_ms']).execute();
  await sql`INSERT INTO recording_runs (recording_id, start_ms, end_ms, domain, app, stream)
    SELECT recording_id, MIN(start_ms), MAX(end_ms), MIN(domain), MIN(app), MIN(stream) FROM (
      SELECT recording_id, start_ms, end_ms, domain, app, stream,
        SUM(opens) OVER (PARTITION BY recording_id ORDER BY start_ms, end_ms ROWS UNBOUNDED PRECEDING) AS run
      FROM (
        SELECT recording_id, start_ms, end_ms, domain, app, stream,
          CASE WHEN start_ms <= MAX(end_ms) OVER (PARTITION BY recording_id ORDER BY start_ms, end_ms ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS opens
        FROM (
          SELECT recording_id, start_ms, end_ms, domain, app, stream FROM segments
          UNION ALL
          SELECT recording_id, start_ms, end_ms, domain, app, stream FROM record_files
          WHERE recording_id NOT LIKE ${`${INDEX_FILE_RECORDING_PREFIX}%`} AND recording_id NOT IN (SELECT recording_id FROM segments)
        ) intervals
      ) flagged
    ) numbered
    GROUP BY recording_id, run`.execute(db);
}

const MIGRATIONS: { version: number; up(db: Transaction<CatalogueDb>, dialect: Dialect): Promise<void> }[] = [
  { version: 1, up: v1 },
  { version: 2, up: v2 },
  { version: 3, up: v3 },
  // The media library (library-schema.ts).
  { version: 4, up: libraryTables },
  // Thumbnails and files' thumbnail tracks (thumbnail-schema.ts).
  { version: 5, up: thumbnailTables },
  // Media assets found by their recording file (retention keeps an asset's file).
  { version: 6, up: libraryRecordIndex },
  // The segments an m3u8 merge took over from its deleted originals (retention and deletion keep them).
  { version: 7, up: libraryMergeSegments },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings a catalogue to the newest schema (or to `upTo`, for tests of an upgrade), one
 * version per transaction; safe for several index services starting at once.
 */
export async function migrate(db: Kysely<CatalogueDb>, dialect: Dialect, upTo = SCHEMA_VERSION): Promise<void> {
  await db.schema.createTable('schema_version').ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('applied_ms', 'bigint', (c) => c.notNull())
    .execute();
  for (const m of MIGRATIONS.filter((x) => x.version <= upTo)) {
    await db.transaction().execute(async (tx) => {
      // PostgreSQL: one migrator at a time; SQLite's write transaction already serializes.
      if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(727368)`.execute(tx);
      const done = await tx.selectFrom('schema_version').select('version').where('version', '=', m.version).executeTakeFirst();
      if (done) return;
      await m.up(tx, dialect);
      await tx.insertInto('schema_version').values({ version: m.version, applied_ms: Date.now() }).execute();
    });
  }
}
