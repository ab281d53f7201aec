// The media library's catalogue tables (assets, renditions, categories,
// processing template groups and tasks, ended recordings). Same rules as the rest
// of the catalogue: application-made text ids, BIGINT epoch ms, JSON as TEXT.
import { sql, type Transaction } from 'kysely';
import type { CatalogueDb } from './catalogue-schema.js';

export interface MediaAssetsTable {
  asset_id: string;
  title: string;
  /** JSON array. */
  tags: string;
  /** "|a|b|": what a tag filter matches with LIKE. */
  tags_text: string;
  status: string;
  category_id: string | null;
  /** Filled when a cover image is made (thumbnails); null until then. */
  cover_url: string | null;
  domain: string;
  app: string;
  stream: string;
  recording_id: string;
  format: string;
  source: string;
  record_id: string | null;
  /** JSON array. */
  source_asset_ids: string;
  sequence: number;
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  url: string;
  size: number;
  duration_ms: number;
  width: number;
  height: number;
  start_ms: number;
  end_ms: number;
  space_id: string;
  /** JSON VodFileSettings. */
  settings: string;
  created_ms: number;
  updated_ms: number;
}

export interface MediaRenditionsTable {
  rendition_id: string;
  asset_id: string;
  group_id: string;
  definition: string;
  format: string;
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  url: string;
  width: number;
  height: number;
  duration_ms: number;
  size: number;
  created_ms: number;
}

export interface MediaCategoriesTable {
  category_id: string;
  name: string;
  /** '' at the top level (NULLs would not make (parent, name) unique). */
  parent_id: string;
  level: number;
  created_ms: number;
}

export interface MediaTemplateGroupsTable {
  group_id: string;
  name: string;
  /** JSON RenditionSpec[]. */
  templates: string;
  created_ms: number;
}

export interface MediaTasksTable {
  task_id: string;
  asset_id: string;
  group_id: string;
  status: string;
  error: string;
  attempts: number;
  trigger: string;
  created_ms: number;
  completed_ms: number | null;
}

export interface MediaRecordingsTable {
  recording_id: string;
  /** JSON: files per format the recording made. */
  files: string;
  ended_ms: number;
}

/**
 * The segments an m3u8 merge plays that its originals' recording files no longer list: when an
 * original is deleted (DeleteVideo) while its merge exists, the merge takes over its file's
 * segment references, so retention and deletion keep them until the merge goes.
 */
export interface MediaAssetSegmentsTable {
  asset_id: string;
  segment_key: string;
}

// A type alias, not an interface: Kysely's withTables needs the implicit index signature.
export type LibraryTables = {
  media_asset_segments: MediaAssetSegmentsTable;
  media_assets: MediaAssetsTable;
  media_renditions: MediaRenditionsTable;
  media_categories: MediaCategoriesTable;
  media_template_groups: MediaTemplateGroupsTable;
  media_tasks: MediaTasksTable;
  media_recordings: MediaRecordingsTable;
};

/** Migration: the media library's tables. */
export async function libraryTables(db: Transaction<CatalogueDb>): Promise<void> {
  await db.schema.createTable('media_assets').ifNotExists()
    .addColumn('asset_id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('tags_text', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('category_id', 'text')
    .addColumn('cover_url', 'text')
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text')
    .addColumn('source_asset_ids', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('storage_kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('end_ms', 'bigint', (c) => c.notNull())
    .addColumn('space_id', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_assets_created').ifNotExists().on('media_assets').column('created_ms').execute();
  await db.schema.createIndex('media_assets_stream').ifNotExists().on('media_assets').columns(['domain', 'app', 'stream', 'start_ms']).execute();
  await db.schema.createIndex('media_assets_category').ifNotExists().on('media_assets').column('category_id').execute();
  await db.schema.createIndex('media_assets_recording').ifNotExists().on('media_assets').columns(['recording_id', 'format', 'source']).execute();
  await db.schema.createTable('media_renditions').ifNotExists()
    .addColumn('rendition_id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('storage_kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_renditions_asset').ifNotExists().on('media_renditions').column('asset_id').execute();
  await db.schema.createTable('media_categories').ifNotExists()
    .addColumn('category_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_categories_parent_name').ifNotExists().unique().on('media_categories').columns(['parent_id', 'name']).execute();
  await db.schema.createTable('media_template_groups').ifNotExists()
    .addColumn('group_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('templates', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('media_tasks').ifNotExists()
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('completed_ms', 'bigint')
    .execute();
  await db.schema.createIndex('media_tasks_asset').ifNotExists().on('media_tasks').columns(['asset_id', 'created_ms']).execute();
  await db.schema.createIndex('media_tasks_status').ifNotExists().on('media_tasks').columns(['status', 'created_ms']).execute();
  await db.schema.createTable('media_recordings').ifNotExists()
    .addColumn('recording_id', 'text', (c) => c.primaryKey())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('ended_ms', 'bigint', (c) => c.notNull())
    .execute();
}

/** Migration: assets by their recording file, which retention asks of every expired file. */
export async function libraryRecordIndex(db: Transaction<CatalogueDb>): Promise<void> {
  await db.schema.createIndex('media_assets_record').ifNotExists().on('media_assets').column('record_id').execute();
}

/** Migration: the segments m3u8 merges took over from their deleted originals (MediaAssetSegmentsTable). */
export async function libraryMergeSegments(db: Transaction<CatalogueDb>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  let table = db.schema.createTable('media_asset_segments').ifNotExists()
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('segment_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_asset_segments_pk', ['asset_id', 'segment_key']);
  // As file_segments: no rowid B-tree on SQLite.
  if (dialect === 'sqlite') table = table.modifyEnd(sql`without rowid`);
  await table.execute();
  await db.schema.createIndex('media_asset_segments_key').ifNotExists().on('media_asset_segments').column('segment_key').execute();
}
