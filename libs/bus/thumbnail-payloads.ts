// Thumbnails while recording: snapshot configurations (KV lr_snapshot_configs), the events a
// recorder publishes as it stores thumbnails and thumbnail tracks, and the index's answers.
import type { CatalogFile, RecordFormat, StorageTarget, StreamRef } from './payloads.js';

export const SNAPSHOT_RESOLUTIONS = ['source', '720p', '480p', '360p'] as const;
export type SnapshotResolution = (typeof SNAPSHOT_RESOLUTIONS)[number];

/** Where and how often a domain's app (or every app: `*`) gets thumbnails. */
export interface SnapshotConfig {
  domain: string;
  app: string;
  intervalSeconds: number;
  resolution: SnapshotResolution;
  storage: StorageTarget;
  /** Pattern of the object overwritten with the latest thumbnail; empty: none. */
  overwriteObject: string;
  /** Pattern of each thumbnail's own object; empty: none. */
  sequenceObject: string;
  createdMs: number;
}

/** One stored thumbnail object (lr.evt.thumbnail.stored). */
export interface ThumbnailStored {
  stream: StreamRef;
  recordingId: string;
  /** When the frame was published (the media plane's time of its batch). */
  atMs: number;
  objectKey: string;
  storage: StorageTarget;
  url: string;
  size: number;
  width: number;
  height: number;
  /** The overwritten "latest" object rather than a thumbnail's own. */
  overwrite: boolean;
}

/** The sprite sheets and WebVTT track of one recorded file (lr.evt.thumbnail.track). */
export interface ThumbnailTrackStored {
  stream: StreamRef;
  recordingId: string;
  format: RecordFormat;
  sequence: number;
  storage: StorageTarget;
  /** The file's first thumbnail, stored next to it. */
  coverKey: string;
  coverUrl: string;
  vttKey: string;
  spriteKeys: string[];
  thumbnails: number;
}

export interface SnapshotInfoQuery {
  stream: StreamRef;
  startMs: number;
  endMs: number;
  limit: number;
  order: 'asc' | 'desc';
}

export type CatalogThumbnail = ThumbnailStored;

export interface SnapshotInfoResult {
  thumbnails: CatalogThumbnail[];
  /** Time of the first thumbnail left out (more in the range), else null. */
  nextStartMs: number | null;
}

/** What a described file carries about its thumbnails. */
export interface FileThumbnails {
  coverKey: string;
  coverUrl: string;
  vttKey: string;
  /** Playback URL of the track ('' when there is none). */
  vttUrl?: string;
  spriteKeys: string[];
}

/** A catalogued file as the index answers it when thumbnails are known for it. */
export type CatalogFileWithThumbnails = CatalogFile & { thumbnails?: FileThumbnails };
