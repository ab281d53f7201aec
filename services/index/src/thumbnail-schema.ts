// Catalogue tables of thumbnails (schema version 5): every stored thumbnail object (a stream's
// thumbnails by time) and each recorded file's thumbnail track (cover, sprite sheets, WebVTT).
import type { Transaction } from 'kysely';
import type { CatalogueDb } from './catalogue-schema.js';

export interface ThumbnailsTable {
  /** Derived from where the object is: a redelivered event, or an overwritten "latest" object, is one row. */
  thumbnail_id: string;
  domain: string;
  app: string;
  stream: string;
  recording_id: string;
  at_ms: number;
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  url: string;
  size: number;
  width: number;
  height: number;
  overwrite: number;
  created_ms: number;
}

export interface ThumbnailTracksTable {
  /** The record id of the file the track belongs to. */
  record_id: string;
  recording_id: string;
  cover_key: string;
  cover_url: string;
  vtt_key: string;
  /** JSON array of the sprite sheets' keys. */
  sprite_keys: string;
  thumbnails: number;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  created_ms: number;
}

export type ThumbnailDb = CatalogueDb & { thumbnails: ThumbnailsTable; thumbnail_tracks: ThumbnailTracksTable };

/** Schema version 5 (catalogue-migrations.ts): the thumbnail tables. */
export async function thumbnailTables(tx: Transaction<CatalogueDb>): Promise<void> {
  await tx.schema.createTable('thumbnails').ifNotExists()
    .addColumn('thumbnail_id', 'text', (c) => c.primaryKey())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('storage_kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('overwrite', 'integer', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await tx.schema.createIndex('thumbnails_stream_at').ifNotExists().on('thumbnails').columns(['domain', 'app', 'stream', 'at_ms']).execute();
  await tx.schema.createTable('thumbnail_tracks').ifNotExists()
    .addColumn('record_id', 'text', (c) => c.primaryKey())
    .addColumn('recording_id', 'text', (c) => c.notNull())
    .addColumn('cover_key', 'text', (c) => c.notNull())
    .addColumn('cover_url', 'text', (c) => c.notNull())
    .addColumn('vtt_key', 'text', (c) => c.notNull())
    .addColumn('sprite_keys', 'text', (c) => c.notNull())
    .addColumn('thumbnails', 'integer', (c) => c.notNull())
    .addColumn('storage_kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
}
