// The in-process segmenter of one recording: consumes the stream's packets from
// the media plane starting at a sequence, and cuts them at keyframes into
// segments (MPEG-TS or CMAF through the muxer) and, when FLV or MP4 files are
// recorded, into FLV parts (tags appended as they come). No process per stream.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DeliverPolicy } from '@nats-io/jetstream';
import { STREAMS, readMedia, type Bus, type MediaMessages, type MediaMsg } from '../../../libs/bus/index.js';
import {
  FlvTagBuffer, MEDIA_HEADERS, SegmentWriter, TAG_AUDIO, TAG_VIDEO, aacTrackConfig, avcTrackConfig, decodeBatch, hevcTrackConfig,
  mp3TrackConfig, parseAudioTag, parseVideoTag, type AudioTrackConfig, type BatchPacket, type VideoTrackConfig,
} from '../../../libs/media/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { ClosedSegmentReport } from './stream-machine.js';

/** Where reading begins: a media-plane sequence, a time (session start), or only what comes next. */
export type MediaStart = { seq: number } | { startMs: number } | { next: true };

/** How a segmenter stops: cut = record everything published until now; abandon = drop the open segment. */
export type StopMode = 'cut' | 'abandon';

/** A closed segment as the machine takes it (ClosedSegmentReport), with its packet counts. */
export interface ClosedSegment extends ClosedSegmentReport {
  videoPackets: number;
  audioPackets: number;
}

export interface SegmenterPosition {
  /** Sequence of the batch the recording (re)started at. */
  seq: number;
  sessionId: string;
  /** Recording timeline = packet dts + offset (ms). */
  timelineOffsetMs: number;
}

export type SegmenterExit = 'session_ended' | 'stopped' | 'idle' | 'failed';

export interface SegmenterOptions {
  bus: Bus;
  subject: string;
  from: MediaStart;
  /** The publish session to record; null records whichever session comes first. */
  sessionId: string | null;
  /** The timeline of the session when it is being resumed (takeover). */
  timeline: { sessionId: string; offsetMs: number } | null;
  /** End of the recording's timeline so far: a new session continues after it. */
  timelineEndMs: number | null;
  sliceMs: number;
  container: 'ts' | 'fmp4';
  flvParts: boolean;
  /** The session carries video: segments begin at video keyframes. */
  hasVideo: boolean;
  dir: string;
  startNumber: number;
  generation: number;
  /** Exit when no packet came for this long (a session that ended without a marker). */
  idleMs: number;
  log: Logger;
  onPosition(p: SegmenterPosition): void;
  onSegment(s: ClosedSegment): void;
  onExit(reason: SegmenterExit, error: string | null): void;
  /** Each GOP's keyframe, for thumbnails (absent when the stream has none configured). Must not block. */
  onKeyframe?(sample: { codec: 'avc' | 'hevc'; record: Buffer; frame: Buffer; atMs: number; timelineMs: number }): void;
}

export interface MediaSegmenterHandle {
  stop(mode: StopMode): Promise<void>;
}

interface OpenSegment {
  number: number;
  writer: SegmentWriter;
  part: FileHandle | null;
  partPath: string | null;
  partTags: FlvTagBuffer;
  startSeq: number;
  wallStartMs: number;
  firstMs: number;
  lastVideoMs: number;
  lastMs: number;
  gap: boolean;
}

// Small buffers per recording: hundreds of recordings share one process.
const PART_FLUSH_BYTES = 64 * 1024;
/** A cut reads what was published before it; a replay far behind may take a while, but not forever. */
const CUT_DEADLINE_MS = 60000;
const CUT_QUIET_MS = 3000;
const DEFAULT_FRAME_MS = 40;

export function startMediaSegmenter(opts: SegmenterOptions): MediaSegmenterHandle {
  const s = new MediaSegmenter(opts);
  void s.run();
  return s;
}

class MediaSegmenter implements MediaSegmenterHandle {
  private messages: MediaMessages | null = null;
  private stopMode: StopMode | null = null;
  private cutAtSeq: number | null = null;
  private lastSeq = 0;
  private sessionId: string | null;
  private offsetMs: number | null = null;
  private started = false;
  private video: VideoTrackConfig | null = null;
  private audio: AudioTrackConfig | null = null;
  private configChanged = false;
  private segment: OpenSegment | null = null;
  private nextNumber: number;
  private expectGapCheck: number | null;
  private pendingGap = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastVideoDts: number | null = null;
  private frameMs = DEFAULT_FRAME_MS;
  private exited = false;
  private exitedResolve!: () => void;
  private readonly exitedPromise = new Promise<void>((r) => (this.exitedResolve = r));

  constructor(private readonly o: SegmenterOptions) {
    this.sessionId = o.sessionId;
    this.nextNumber = o.startNumber;
    this.expectGapCheck = 'seq' in o.from ? o.from.seq : null;
    if (o.timeline && o.timeline.sessionId === o.sessionId) this.offsetMs = o.timeline.offsetMs;
    mkdirSync(o.dir, { recursive: true });
  }

  async run(): Promise<void> {
    let reason: SegmenterExit = 'stopped';
    let error: string | null = null;
    try {
      reason = await this.consume();
      if (this.stopMode === 'abandon') await this.dropSegment();
      else await this.closeSegment(null);
    } catch (err) {
      reason = 'failed';
      error = (err as Error).message;
      this.o.log.error({ subject: this.o.subject, generation: this.o.generation, err: error }, 'segmenter failed');
      await this.dropSegment();
    } finally {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.exited = true;
      this.exitedResolve();
      this.o.onExit(this.stopMode && reason !== 'failed' ? 'stopped' : reason, error);
    }
  }

  private async consume(): Promise<SegmenterExit> {
    const from = this.o.from;
    const policy = 'seq' in from
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from.seq) }
      : 'startMs' in from
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.startMs - 1000).toISOString() }
        : { deliver_policy: DeliverPolicy.New };
    // A live stream has about one batch a second: a few in flight keep the reader busy without holding seconds of media.
    // The reader survives losing the broker node that holds its consumer (libs/bus/ordered-reader.ts).
    // Batches the ingest of this process publishes come from it directly once the reader has caught up (libs/bus/media-reader.ts).
    this.messages = await readMedia(this.o.bus, STREAMS.media, this.o.subject, policy, { maxMessages: 4 }, this.o.log);
    if (this.stopping('abandon')) this.messages.stop();
    // Cut before anything was read: nothing of the subject lies at or after the start, so there is nothing to read.
    if (this.stopping('cut') && this.cutAtSeq !== null && 'seq' in from && this.cutAtSeq < from.seq) this.messages.stop();
    this.armIdle();
    let result: SegmenterExit = 'stopped';
    for await (const m of this.messages) {
      this.armIdle();
      this.lastSeq = m.seq;
      if (this.stopMode === 'abandon') break;
      const outcome = await this.onMessage(m);
      if (outcome) {
        result = outcome;
        break;
      }
      if (this.cutAtSeq !== null && m.seq >= this.cutAtSeq) break;
    }
    this.messages.stop();
    return this.idleFired ? 'idle' : result;
  }

  private idleFired = false;

  /** A stop may be requested while the reader awaits the broker: read the field afresh. */
  private stopping(mode: StopMode): boolean {
    return this.stopMode === mode;
  }

  private armIdle(ms = this.o.idleMs): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleFired = true;
      this.messages?.stop();
    }, this.stopMode === 'cut' ? Math.min(ms, CUT_QUIET_MS) : ms);
    this.idleTimer.unref();
  }

  /** Handles one media-plane message; returns an exit reason when the recording of the session is over. */
  private async onMessage(m: MediaMsg): Promise<SegmenterExit | null> {
    if (this.expectGapCheck !== null) {
      // The first message is later than asked for: the media plane dropped what was in between.
      if (m.seq > this.expectGapCheck) this.pendingGap = true;
      this.expectGapCheck = null;
    }
    const session = m.headers?.get(MEDIA_HEADERS.session) ?? '';
    if (this.started && session === this.sessionId && !this.inSequence(m)) return null;
    if (this.sessionId !== null && session !== this.sessionId) {
      // Sessions of a stream follow one another on its subject: read from a sequence of the session,
      // another session's batch means it is over. Read from a time, earlier sessions' tails come first.
      if (this.started || !('startMs' in this.o.from)) return 'session_ended';
      return null;
    }
    if (m.headers?.has(MEDIA_HEADERS.end)) return this.started || this.sessionId !== null ? 'session_ended' : null;
    const packets = decodeBatch(m.data);
    if (!this.started) {
      if (!m.headers?.has(MEDIA_HEADERS.entry) || !this.canEnter(packets)) return null;
      this.enter(m, session, packets);
    }
    await this.onBatch(m, packets);
    return null;
  }

  /**
   * Batches of a session are numbered from 0: a repeat (a publish retried past
   * the duplicate window) is skipped, a hole (a batch the broker never took)
   * marks the segment after it as discontinuous.
   */
  private inSequence(m: MediaMsg): boolean {
    const raw = m.headers?.get(MEDIA_HEADERS.batch);
    const no = raw ? Number(raw) : NaN;
    if (!Number.isInteger(no)) return true;
    const last = this.lastBatch;
    this.lastBatch = Math.max(no, last ?? no);
    if (last === null) return true;
    if (no <= last) {
      this.o.log.warn({ subject: this.o.subject, batch: no, last }, 'media batch repeated; skipped');
      return false;
    }
    if (no > last + 1) {
      this.o.log.error({ subject: this.o.subject, from: last + 1, to: no - 1 }, 'media batches missing from the media plane; the next segment is marked discontinuous');
      this.pendingGap = true;
    }
    return true;
  }

  private lastBatch: number | null = null;

  /** A recording starts at a GOP: the batch's first media packet is a video keyframe (any batch for audio only). */
  private canEnter(packets: BatchPacket[]): boolean {
    const first = packets.find((p) => !p.repeated);
    if (!first) return false;
    if (!this.o.hasVideo) return true;
    if (first.type !== TAG_VIDEO) return false;
    const info = parseVideoTag(first.data);
    return info.isKey && !info.isConfig;
  }

  private enter(m: MediaMsg, session: string, packets: BatchPacket[]): void {
    this.started = true;
    this.inSequence(m);
    this.sessionId = session;
    for (const p of packets) if (p.repeated) this.learnConfig(p);
    const first = packets.find((p) => !p.repeated)!;
    if (this.offsetMs === null) {
      // A new session continues the recording's timeline a little after where it stopped.
      const base = this.o.timelineEndMs === null ? 1000 : this.o.timelineEndMs + 100;
      this.offsetMs = base - first.dts;
    }
    this.o.onPosition({ seq: m.seq, sessionId: session, timelineOffsetMs: this.offsetMs });
  }

  private learnConfig(p: BatchPacket): void {
    if (p.type === TAG_VIDEO) {
      const info = parseVideoTag(p.data);
      if (!info.isConfig || !info.codec) return;
      const record = Buffer.from(p.data.subarray(info.payloadOffset));
      if (this.video && this.video.record.equals(record)) return;
      const fallback = { width: this.video?.width ?? 0, height: this.video?.height ?? 0 };
      this.video = info.codec === 'avc' ? avcTrackConfig(record, fallback) : hevcTrackConfig(record, fallback);
      this.configChanged = this.segment !== null;
    } else {
      const info = parseAudioTag(p.data);
      if (info.codec === 'aac' && info.isConfig) {
        const asc = Buffer.from(p.data.subarray(info.payloadOffset));
        if (this.audio?.record && this.audio.record.equals(asc)) return;
        this.audio = aacTrackConfig(asc);
        this.configChanged = this.segment !== null;
      } else if (info.codec === 'mp3' && !this.audio) {
        this.audio = mp3TrackConfig(info.sampleRate, info.channels);
      }
    }
  }

  private async onBatch(m: MediaMsg, packets: BatchPacket[]): Promise<void> {
    const offset = this.offsetMs!;
    const first = packets.find((p) => !p.repeated);
    if (!first) return;
    const startsGop = m.headers?.has(MEDIA_HEADERS.entry) === true && this.canEnter(packets);
    const firstMs = first.dts + offset;
    if (this.segment && startsGop && (this.configChanged || firstMs - this.segment.firstMs >= this.o.sliceMs)) {
      await this.closeSegment({ nextSeq: m.seq, nextFirstMs: firstMs });
    }
    for (const p of packets) {
      if (p.repeated) continue;
      const isConfig = p.type === TAG_VIDEO ? parseVideoTag(p.data).isConfig : parseAudioTag(p.data).isConfig;
      if (isConfig || (p.type === TAG_AUDIO && !this.audio)) {
        this.learnConfig(p);
        if (isConfig) continue;
      }
      if (!this.segment) {
        if (!startsGop && this.o.hasVideo) continue;
        this.segment = await this.openSegment(m, firstMs);
      }
      if (p === first && startsGop && this.video && this.o.onKeyframe) {
        this.o.onKeyframe({ codec: this.video.codec, record: this.video.record, frame: p.data.subarray(parseVideoTag(p.data).payloadOffset), atMs: Math.round(m.info.timestampNanos / 1e6), timelineMs: firstMs });
      }
      await this.addPacket(this.segment, p, offset);
    }
    if (this.segment) {
      if (this.segment.partTags.byteLength >= PART_FLUSH_BYTES) await this.flushPart(this.segment);
    }
  }

  private async openSegment(m: MediaMsg, firstMs: number): Promise<OpenSegment> {
    const number = this.nextNumber++;
    const base = join(this.o.dir, `seg${String(number).padStart(6, '0')}-g${this.o.generation}`);
    const ext = this.o.container === 'ts' ? '.ts' : '.m4s';
    const writer = await SegmentWriter.open(`${base}${ext}`, this.o.container, { video: this.video, audio: this.audio }, this.o.container === 'fmp4' ? `${base}.init.mp4` : null);
    this.configChanged = false;
    let part: FileHandle | null = null;
    let partPath: string | null = null;
    const partTags = new FlvTagBuffer();
    if (this.o.flvParts) {
      partPath = `${base}.flvpart`;
      part = await open(partPath, 'w');
      // Every part opens with the configuration records, so any part can begin a file.
      this.writeConfigTags(partTags, firstMs);
    }
    const gap = this.pendingGap;
    this.pendingGap = false;
    return {
      number, writer, part, partPath, partTags, startSeq: m.seq,
      wallStartMs: Math.round(m.info.timestampNanos / 1e6), firstMs, lastVideoMs: firstMs, lastMs: firstMs, gap,
    };
  }

  private writeConfigTags(out: FlvTagBuffer, atMs: number): void {
    if (this.video) {
      const body = Buffer.alloc(5 + this.video.record.length);
      // Legacy FLV codec ids: 7 AVC, 12 HEVC; a keyframe carrying the sequence header.
      body[0] = this.video.codec === 'avc' ? 0x17 : 0x1c;
      this.video.record.copy(body, 5);
      out.append(TAG_VIDEO, atMs, body);
    }
    if (this.audio?.record) {
      const body = Buffer.alloc(2 + this.audio.record.length);
      body[0] = 0xaf;
      this.audio.record.copy(body, 2);
      out.append(TAG_AUDIO, atMs, body);
    }
  }

  private async addPacket(seg: OpenSegment, p: BatchPacket, offset: number): Promise<void> {
    const t = p.dts + offset;
    if (p.type === TAG_VIDEO) {
      const info = parseVideoTag(p.data);
      if (info.payloadOffset >= p.data.length) return; // end-of-sequence marker: no picture
      if (this.lastVideoDts !== null && p.dts > this.lastVideoDts) this.frameMs = Math.min(1000, p.dts - this.lastVideoDts);
      this.lastVideoDts = p.dts;
      seg.lastVideoMs = Math.max(seg.lastVideoMs, t);
      seg.lastMs = Math.max(seg.lastMs, t);
      if (seg.part) seg.partTags.append(p.type, t, p.data);
      await seg.writer.addVideo(p.data.subarray(info.payloadOffset), info.isKey, t / 1000, (t + info.cts) / 1000, this.frameMs / 1000);
    } else {
      if (!this.audio) return;
      const info = parseAudioTag(p.data);
      seg.lastMs = Math.max(seg.lastMs, t);
      if (seg.part) seg.partTags.append(p.type, t, p.data);
      const samples = this.audio.codec === 'aac' ? 1024 : 1152;
      await seg.writer.addAudio(p.data.subarray(info.payloadOffset), t / 1000, samples / this.audio.sampleRate);
    }
  }

  private async flushPart(seg: OpenSegment): Promise<void> {
    if (!seg.part || seg.partTags.byteLength === 0) return;
    const part = seg.part;
    await seg.partTags.writeTo((bytes) => part.write(bytes));
  }

  /** Finishes the open segment; `next` is where the following one begins (null: the recording stops here). */
  private async closeSegment(next: { nextSeq: number; nextFirstMs: number } | null): Promise<void> {
    const seg = this.segment;
    if (!seg) return;
    this.segment = null;
    try {
      await seg.writer.finish();
      await this.flushPart(seg);
    } finally {
      await seg.part?.close();
    }
    const endMs = next ? next.nextFirstMs : Math.max(seg.lastMs, seg.lastVideoMs + (this.o.hasVideo ? this.frameMs : 0));
    let initHash: string | undefined;
    const initPath = this.o.container === 'fmp4' ? seg.writer.path.replace(/\.m4s$/, '.init.mp4') : undefined;
    if (initPath) initHash = createHash('sha256').update(await readFile(initPath)).digest('hex').slice(0, 16);
    this.o.onSegment({
      spoolPath: seg.writer.path,
      ...(initPath ? { initPath, initHash } : {}),
      ...(seg.partPath ? { flvPartPath: seg.partPath } : {}),
      durationMs: Math.max(1, Math.round(endMs - seg.firstMs)),
      timelineEndMs: Math.round(endMs),
      startSeq: seg.startSeq,
      nextSeq: next ? next.nextSeq : this.lastSeq + 1,
      wallStartMs: seg.wallStartMs,
      gap: seg.gap,
      videoPackets: seg.writer.videoPackets,
      audioPackets: seg.writer.audioPackets,
    });
  }

  private async dropSegment(): Promise<void> {
    const seg = this.segment;
    if (!seg) return;
    this.segment = null;
    await seg.writer.abort();
    await seg.part?.close().catch((err: unknown) => this.o.log.warn({ path: seg.partPath, err: (err as Error).message }, 'dropped FLV part did not close'));
    await rm(seg.writer.path, { force: true });
    if (seg.partPath) await rm(seg.partPath, { force: true });
  }

  async stop(mode: StopMode): Promise<void> {
    if (this.exited) return;
    if (mode === 'abandon') {
      this.stopMode = 'abandon';
      this.messages?.stop();
    } else if (this.stopMode === null) {
      this.stopMode = 'cut';
      // Record everything the publisher sent until now, then stop.
      const last = await this.o.bus.jsm.streams.getMessage(STREAMS.media, { last_by_subj: this.o.subject }).catch((err: unknown) => {
        if (!/no message found/i.test(String((err as Error).message))) {
          this.o.log.error({ subject: this.o.subject, err: (err as Error).message }, 'cut: the media plane did not say where the stream ends; reading until it goes quiet');
        }
        return null;
      });
      if (last) this.cutAtSeq = last.seq;
      if (last && this.messages && last.seq <= this.lastSeq) this.messages.stop();
      else if (!last && this.messages && this.started) {
        // Nothing is known about the end: stop once the reader has been quiet for a moment.
        this.armIdle(CUT_QUIET_MS);
      }
      const deadline = setTimeout(() => {
        if (this.exited) return;
        this.o.log.error({ subject: this.o.subject, cutAtSeq: this.cutAtSeq, lastSeq: this.lastSeq }, 'cut: the reader did not reach the end of the stream in time; the tail is not recorded');
        this.messages?.stop();
      }, CUT_DEADLINE_MS);
      deadline.unref();
      void this.exitedPromise.then(() => clearTimeout(deadline));
    }
    await this.exitedPromise;
  }
}
