import type { Generated } from 'kysely';

// Timestamps are BIGINT epoch milliseconds and ids are text made by the
// application, so the same queries run on SQLite and PostgreSQL.

export interface RecordFilesTable {
  record_id: string;
  domain: string;
  app: string;
  stream: string;
  recording_id: string;
  format: string;
  sequence: number;
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  url: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  width: number;
  height: number;
  size: number;
  sha256: string;
  created_ms: number;
}

export interface SegmentsTable {
  segment_id: string;
  domain: string;
  app: string;
  stream: string;
  recording_id: string;
  sequence: number;
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  url: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  discontinuity: number;
  size: number;
  sha256: string;
  created_ms: number;
}

/** Which segment objects a file (or a created index file) references: deletion keeps those still referenced. */
export interface FileSegmentsTable {
  record_id: string;
  segment_key: string;
}

export interface CatalogueDb {
  record_files: RecordFilesTable;
  segments: SegmentsTable;
  file_segments: FileSegmentsTable;
  schema_version: { version: number; applied_ms: Generated<number> };
}
