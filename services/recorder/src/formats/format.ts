import type { FormatPlan } from '../../../../libs/bus/index.js';
import type { OpenFile, SegmentRecord, StreamState } from '../stream-machine.js';

export interface PackagingContext {
  state: StreamState;
  file: OpenFile;
  /** The file's segments, in order, from the recording's segment log. */
  segments: SegmentRecord[];
  formatPlan: FormatPlan;
  /** Object key of the finalized file, rendered from the format's pattern. */
  objectKey: string;
  /** Spool folder where the packaged file is written before upload. */
  spoolDir: string;
  /** The bytes of a segment's FLV part: the local copy, or the stored one after a takeover. */
  readPart(segment: SegmentRecord): Promise<Buffer>;
}

/** Turns one finalized cycle of segments into that format's file in the spool. */
export interface FormatPackager {
  contentType: string;
  extension: string;
  /** Writes the file into the spool; returns the spool path. */
  package(ctx: PackagingContext): Promise<string>;
}
