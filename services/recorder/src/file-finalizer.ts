// Turns a finalized cycle of a format into its file and queues the upload:
// m3u8/cmaf playlists at once; flv and mp4 (joined from the segments' FLV
// parts, read from this host's spool or, after a takeover, from storage) in the
// background, so that the actor's mailbox never waits for them.
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { STREAMS, SUBJECTS, publishDurable, type Bus, type FileMeta, type StorageTarget, type UploadJob } from '../../../libs/bus/index.js';
import { escapedTime, fileExtension, renderKey } from '../../../libs/naming/index.js';
import type { StorageRegistry } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { JOINED_FORMATS, dropPackCopies, packagerFor, readPackCopy } from './formats/index.js';
import { readSegments } from './segment-log.js';
import type { OpenFile, SegmentRecord, StreamState } from './stream-machine.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A media-library recording's files carry their format's library settings (the library registers them as assets). */
function vodSettingsOf(state: StreamState, format: OpenFile['format']): Pick<FileMeta, 'vod'> {
  const vod = state.plan.vod;
  const settings = vod?.formats.find((f) => f.format === format);
  if (!vod || !settings) return {};
  return { vod: { ...settings, templateId: vod.templateId, spaceId: vod.spaceId, storageLocation: vod.storageLocation } };
}

const PART_WAIT_ATTEMPTS = 20;
const PART_WAIT_MS = 1500;

export class FileFinalizer {
  /** flv/mp4 files being joined in the background, per recording; shutdown waits for them. */
  private readonly jobs = new Map<string, Set<Promise<void>>>();
  /** Told of every file queued for upload, with its object key (the thumbnail track follows it). */
  onFileQueued: ((meta: FileMeta, objectKey: string, target: StorageTarget) => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly storage: StorageRegistry,
    private readonly spoolDirOf: (recordingId: string) => string,
    private readonly log: Logger,
    private readonly onFailure: (state: StreamState, file: OpenFile, err: Error) => void,
  ) {}

  async finalize(state: StreamState, file: OpenFile): Promise<void> {
    if (!JOINED_FORMATS.includes(file.format)) return this.packageAndQueue(state, file);
    const job = this.packageAndQueue(state, file)
      .catch((err: unknown) => this.onFailure(state, file, err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        const jobs = this.jobs.get(state.recordingId);
        jobs?.delete(job);
        if (jobs && jobs.size === 0) this.jobs.delete(state.recordingId);
      });
    const jobs = this.jobs.get(state.recordingId) ?? new Set<Promise<void>>();
    jobs.add(job);
    this.jobs.set(state.recordingId, jobs);
  }

  /** Resolves once no file of the recording is being joined. */
  async idle(recordingId: string): Promise<void> {
    for (;;) {
      const jobs = this.jobs.get(recordingId);
      if (!jobs || jobs.size === 0) return;
      await Promise.allSettled([...jobs]);
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.jobs.values()].flatMap((jobs) => [...jobs]));
  }

  private async packageAndQueue(state: StreamState, file: OpenFile): Promise<void> {
    const formatPlan = state.plan.formats.find((f) => f.format === file.format);
    if (!formatPlan) throw new Error(`no plan for format ${file.format}`);
    const segments = await readSegments(this.bus, state.recordingId, file.firstSegment, file.segmentCount);
    const endMs = segments[segments.length - 1].endMs;
    const objectKey = renderKey(formatPlan.filePattern, {
      AppName: state.stream.app, StreamName: state.stream.stream, DomainName: state.stream.domain,
      EscapedStartTime: escapedTime(file.startMs), EscapedEndTime: escapedTime(endMs),
      UnixTimestamp: Math.floor(file.startMs / 1000), Sequence: file.sequence, TranscodeTemplateID: '',
    }, fileExtension(file.format));
    const packager = packagerFor(file.format);
    const spoolDir = this.spoolDirOf(state.recordingId);
    const spoolPath = await packager.package({
      state, file, segments, formatPlan, objectKey, spoolDir,
      readPart: (segment) => this.readPart(state, spoolDir, segment),
    });
    const durationMs = segments.reduce((sum, s) => sum + s.durationMs, 0);
    const meta: FileMeta = {
      stream: state.stream, recordingId: state.recordingId, format: file.format, sequence: file.sequence,
      startMs: file.startMs, endMs, durationMs, width: state.width, height: state.height,
      segmentKeys: segments.map((s) => s.objectKey), pushArgs: state.plan.pushArgs,
      ...vodSettingsOf(state, file.format),
    };
    const job: UploadJob = {
      kind: 'file', id: `${state.recordingId}:file:${file.format}:${file.sequence}`, recordingId: state.recordingId, spoolPath, objectKey,
      storage: state.plan.storage, contentType: packager.contentType, file: meta,
    };
    await publishDurable(this.bus, SUBJECTS.upload, job, job.id);
    this.onFileQueued?.(meta, objectKey, state.plan.storage);
    this.log.info({ recordingId: state.recordingId, format: file.format, objectKey, segments: segments.length, durationMs }, 'file finalized');
  }

  /** A part from this host's spool, or (adopted recording) from storage once its upload has landed. */
  private async readPart(state: StreamState, spoolDir: string, segment: SegmentRecord): Promise<Buffer> {
    if (!segment.flvPartPath || !segment.flvPartKey) throw new Error(`segment ${segment.sequence} has no FLV part`);
    const local = await readPackCopy(spoolDir, segment.flvPartPath);
    if (local) return local;
    const backend = this.storage.backendFor(state.plan.storage);
    for (let attempt = 1; ; attempt++) {
      if (await backend.exists(segment.flvPartKey)) return readAll(await backend.read(segment.flvPartKey));
      if (attempt >= PART_WAIT_ATTEMPTS) throw new Error(`FLV part of segment ${segment.sequence} is neither in this spool nor in storage (${segment.flvPartKey})`);
      // Its upload may still be queued behind others.
      await new Promise((r) => setTimeout(r, PART_WAIT_MS));
    }
  }

  /**
   * After the recording ended and its files were queued: removes the kept part
   * copies, the stored parts, and the recording's empty spool folders.
   */
  async cleanUp(state: StreamState): Promise<void> {
    await this.idle(state.recordingId);
    const dir = this.spoolDirOf(state.recordingId);
    await dropPackCopies(dir);
    if (state.plan.formats.some((f) => JOINED_FORMATS.includes(f.format)) && state.nextSegmentSequence > 0) {
      await this.deleteStoredParts(state);
    }
    // The uploader removes each spool file once it is stored; the folders go when they are empty.
    // A folder still holding files waiting for upload is not empty: it stays, which is the point.
    for (const d of [join(dir, 'files'), dir]) await rmdir(d).catch(() => undefined);
    // The segment log has served: the files are queued and the recording is over.
    await this.bus.jsm.streams.purge(STREAMS.events, { filter: SUBJECTS.recordingSegment(state.recordingId) }).catch((err: unknown) => {
      this.log.warn({ recordingId: state.recordingId, err: (err as Error).message }, 'segment log not purged; it expires with the event log');
    });
  }

  private async deleteStoredParts(state: StreamState): Promise<void> {
    let segments: SegmentRecord[];
    try {
      segments = await readSegments(this.bus, state.recordingId, 0, state.nextSegmentSequence);
    } catch (err) {
      this.log.warn({ recordingId: state.recordingId, err: (err as Error).message }, 'stored FLV parts not cleaned up: segment log incomplete');
      return;
    }
    const backend = this.storage.backendFor(state.plan.storage);
    let left = segments.filter((s) => s.flvPartKey).map((s) => s.flvPartKey!);
    for (let attempt = 1; left.length > 0 && attempt <= PART_WAIT_ATTEMPTS; attempt++) {
      const pending: string[] = [];
      for (const key of left) {
        if (await backend.exists(key)) await backend.delete(key);
        else pending.push(key);
      }
      left = pending;
      if (left.length > 0) await new Promise((r) => setTimeout(r, PART_WAIT_MS));
    }
    if (left.length > 0) this.log.warn({ recordingId: state.recordingId, parts: left.length }, 'some stored FLV parts were never seen in storage; not deleted');
  }
}
