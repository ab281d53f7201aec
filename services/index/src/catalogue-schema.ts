// Timestamps are BIGINT epoch milliseconds and ids are text made by the
// application, so the same queries run on SQLite and PostgreSQL.

/** Recording ids of created index files (clips, merges) begin with this; recorders' never do. */
export const INDEX_FILE_RECORDING_PREFIX = 'idx';

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

/**
 * The segments a created index file (a clip or merge) references: every segment of its
 * stream lying within [start_ms, end_ms]. One row instead of one per segment (a 4-day
 * clip lists ~11 k); a segment stored later inside the span only counts as referenced too.
 */
export interface FileRangesTable {
  record_id: string;
  domain: string;
  app: string;
  stream: string;
  start_ms: number;
  end_ms: number;
}

/**
 * A segment object whose record expired while a file still references it: where it is
 * (so that it is deleted from its own bucket, not the file's, when the last such file
 * goes) and, when known, its stream and span (so that ranges find it).
 */
export interface RetainedSegmentsTable {
  object_key: string;
  storage_kind: string;
  bucket: string;
  endpoint: string;
  domain: string | null;
  app: string | null;
  stream: string | null;
  start_ms: number | null;
  end_ms: number | null;
  retained_ms: number;
}

/**
 * A stretch of time a recording had media, made of contiguous segments (a reconnect or a
 * stop and start leaves a gap, so one recording may have several runs). Kept as segments are
 * catalogued and outliving their records: the usage figures' peak channels are swept over these.
 */
export interface RecordingRunsTable {
  recording_id: string;
  start_ms: number;
  end_ms: number;
  domain: string;
  app: string;
  stream: string;
}

/**
 * The last known phase of each recording, from its state events: the ones in `recording`
 * are live now. A closed recording's row stays a while, so that a state event delivered
 * late (a retried one) cannot reopen it.
 */
export interface RecordingPhasesTable {
  recording_id: string;
  domain: string;
  app: string;
  stream: string;
  phase: string;
  /** When the recording entered this phase. */
  since_ms: number;
}

export interface SchemaVersionTable {
  version: number;
  applied_ms: number;
}

export interface CatalogueDb {
  record_files: RecordFilesTable;
  segments: SegmentsTable;
  file_segments: FileSegmentsTable;
  file_ranges: FileRangesTable;
  retained_segments: RetainedSegmentsTable;
  recording_runs: RecordingRunsTable;
  recording_phases: RecordingPhasesTable;
  schema_version: SchemaVersionTable;
}

/** The columns a clip needs of each segment: what the playlist lists and what the selection tests. */
export interface ClipSegment {
  object_key: string;
  /** The segment's URL when it is stored elsewhere than the clip; null when in the clip's own target. */
  url: string | null;
  recording_id: string;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  discontinuity: number;
}
