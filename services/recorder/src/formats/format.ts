import type { FormatPlan, UploadJob } from '../../../../libs/bus/index.js';
import type { OpenFile, StreamState } from '../stream-machine.js';

export interface PackagingContext {
  state: StreamState;
  file: OpenFile;
  formatPlan: FormatPlan;
  /** Object key of the finalized file, rendered from the format's pattern. */
  objectKey: string;
  /** Spool folder where the packaged file is written before upload. */
  spoolDir: string;
}

/** Turns one finalized cycle of segments into the upload of that format's file. */
export interface FormatPackager {
  contentType: string;
  extension: string;
  /** Writes the file into the spool; returns the spool path. */
  package(ctx: PackagingContext): Promise<string>;
}

export type FileUpload = Extract<UploadJob, { kind: 'file' }>;
