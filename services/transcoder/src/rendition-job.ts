// One rendition being made: reads the source session's packets from the media
// plane, writes them as FLV into an ffmpeg live transcode, parses the FLV it
// writes back and publishes those packets to the media plane as the rendition
// stream, announced like a publish (lr.evt.ingest.publish with `rendition`) so
// the matcher gives it a recording actor of its own.
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import {
  STREAMS, SUBJECTS, publishDurable, readOrdered, streamLabel, streamToken,
  type Bus, type IngestPublished, type IngestUnpublished, type OrderedMessages, type StreamRef, type TranscodeDemand, type TranscodeTemplate,
} from '../../../libs/bus/index.js';
import {
  FlvStreamReader, MEDIA_HEADERS, TAG_AUDIO, TAG_VIDEO, decodeBatch, flvFileHeader, flvTag, parseAudioTag, parseVideoTag, startLiveTranscode,
  type BatchPacket, type LiveTranscode,
} from '../../../libs/media/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { MediaPublisher, type PublisherCounters } from '../../ingest/src/media-publisher.js';
import { CodecWatch } from './codec-watch.js';

/** Why a rendition stopped. */
export type JobExit = 'source_ended' | 'not_recorded' | 'demand_withdrawn' | 'superseded' | 'template_deleted' | 'lease_lost' | 'shutdown' | 'ffmpeg_failed' | 'failed';

export interface RenditionJobOptions {
  bus: Bus;
  demand: TranscodeDemand;
  template: TranscodeTemplate;
  rendition: StreamRef;
  workerId: string;
  batchMs: number;
  /** Read from the session's first batch, or (a takeover) from the next GOP on. */
  from: 'session_start' | 'now';
  /** A source that sends nothing for this long has ended without its end marker. */
  idleMs: number;
  log: Logger;
  counters: PublisherCounters;
  /** The rendition's codecs are known (for the master playlist). */
  onCodecs(source: CodecWatch, rendition: CodecWatch): void;
  onStarted(sessionId: string): void;
}

/** How long ffmpeg may take to flush after its input ended. */
const FLUSH_MS = 30000;

export class RenditionJob {
  readonly sessionId = `t${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  private messages: OrderedMessages | null = null;
  private transcode: LiveTranscode | null = null;
  private publisher: MediaPublisher;
  private stopReason: JobExit | null = null;
  private stopDetail = '';
  private idleTimer: NodeJS.Timeout | null = null;
  private started = false;
  private baseDts = 0;
  private announced = false;
  /** The publish announcement while it is being made: true once the matcher was told. */
  private announcement: Promise<boolean> | null = null;
  private readonly sourceCodecs = new CodecWatch();
  private readonly renditionCodecs = new CodecWatch();
  private codecsReported = false;
  private readonly out = new FlvStreamReader();
  readonly done: Promise<{ exit: JobExit; detail: string }>;

  constructor(private readonly o: RenditionJobOptions) {
    this.publisher = new MediaPublisher(o.bus, SUBJECTS.media(streamToken(o.rendition)), this.sessionId, o.batchMs, o.log, o.counters);
    this.done = this.run();
  }

  /** The ffmpeg process id while one runs. */
  pid(): number | null {
    return this.transcode?.pid() ?? null;
  }

  /** Whether the source session's first GOP reached ffmpeg (the job is making its rendition). */
  get begun(): boolean {
    return this.started;
  }

  /**
   * Stops reading the source; the rendition still ends cleanly (what ffmpeg holds is flushed),
   * except on a lost lease or a failure, where ffmpeg is killed at once.
   */
  stop(reason: JobExit, detail = ''): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopDetail = detail;
    this.messages?.stop();
    if (killsAtOnce(reason)) this.transcode?.kill();
  }

  private async run(): Promise<{ exit: JobExit; detail: string }> {
    let exit: JobExit = 'source_ended';
    let detail = '';
    try {
      exit = await this.consume();
      detail = this.stopDetail;
    } catch (err) {
      exit = this.stopReason ?? 'failed';
      detail = (err as Error).message;
    } finally {
      if (this.idleTimer) clearTimeout(this.idleTimer);
    }
    try {
      const flushed = await this.finishTranscode(killsAtOnce(exit) && this.stopReason === exit);
      if (!flushed.ok && exit === 'source_ended') {
        exit = 'ffmpeg_failed';
        detail = flushed.error;
      }
      await this.publisher.end();
      // Unpublished only once announced: the announcement settles (it reports its own failure) first.
      const announced = this.announcement ? await this.announcement : false;
      // An announcement that failed after the source ended still fails the rendition (nothing records it).
      if (!announced && this.stopReason === 'failed') {
        exit = 'failed';
        detail = this.stopDetail;
      }
      if (announced) await this.announceUnpublish();
    } catch (err) {
      detail = `${detail ? `${detail}; ` : ''}${(err as Error).message}`;
      if (exit === 'source_ended') exit = 'failed';
    }
    return { exit, detail };
  }

  private async consume(): Promise<JobExit> {
    const d = this.o.demand;
    const policy = this.o.from === 'now'
      ? { deliver_policy: DeliverPolicy.New }
      : d.media.startSeq !== null
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, d.media.startSeq) }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(d.media.startMs - 1000).toISOString() };
    this.messages = await readOrdered(this.o.bus, STREAMS.media, { filter_subjects: d.media.subject, ...policy }, { maxMessages: 4 });
    if (this.stopReason) this.messages.stop();
    this.armIdle();
    for await (const m of this.messages) {
      const ended = await this.onMessage(m);
      if (ended) break;
    }
    this.messages.stop();
    if (this.stopReason) return this.stopReason;
    return 'source_ended';
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.o.log.warn({ source: streamLabel(this.o.demand.source), idleMs: this.o.idleMs }, 'source sent nothing for too long; its rendition ends');
      this.messages?.stop();
    }, this.o.idleMs);
    this.idleTimer.unref();
  }

  /** True when the source session is over. */
  private async onMessage(m: JsMsg): Promise<boolean> {
    const session = m.headers?.get(MEDIA_HEADERS.session) ?? '';
    if (session !== this.o.demand.sourceSessionId) {
      // Read from a time, an earlier session's tail comes first; once in, another session means ours ended.
      // Another session's packets are no sign of life of ours: they leave the idle timer running.
      return this.started;
    }
    this.armIdle();
    if (m.headers?.has(MEDIA_HEADERS.end)) return true;
    const packets = decodeBatch(m.data);
    if (!this.started) {
      if (!m.headers?.has(MEDIA_HEADERS.entry) || !startsWithKeyframe(packets)) return false;
      await this.begin(packets);
    }
    for (const p of packets) {
      // Configuration copies at a GOP start are for readers entering there; this one entered already.
      if (p.repeated) continue;
      if (isConfig(p)) this.sourceCodecs.see(p.type, p.data);
      await this.write(flvTag(p.type, p.dts - this.baseDts, p.data));
    }
    return false;
  }

  private async begin(packets: BatchPacket[]): Promise<void> {
    this.started = true;
    const first = packets.find((p) => !p.repeated)!;
    // Headroom: audio interleaved a little before the keyframe must not get a negative timestamp.
    this.baseDts = first.dts - 1000;
    const hasAudio = this.o.demand.sourceCodecs.audio !== null;
    this.transcode = startLiveTranscode({
      width: this.o.template.width, height: this.o.template.height, fps: this.o.template.fps, gop: this.o.template.gop,
      videoKbps: this.o.template.videoKbps, audioKbps: this.o.template.audioKbps, audio: hasAudio,
    });
    this.transcode.output.on('data', (chunk: Buffer) => this.onOutput(chunk));
    // A transcode that fails while the source is live ends the read; run() reports why.
    this.transcode.done.catch(() => this.messages?.stop());
    await this.write(flvFileHeader(hasAudio, true));
    for (const p of packets) {
      if (!p.repeated) continue;
      this.sourceCodecs.see(p.type, p.data);
      await this.write(flvTag(p.type, 0, p.data));
    }
    this.o.log.info({ source: streamLabel(this.o.demand.source), rendition: streamLabel(this.o.rendition), sessionId: this.sessionId, pid: this.transcode.pid() }, 'transcoding');
  }

  private async write(buf: Buffer): Promise<void> {
    const input = this.transcode!.input;
    if (input.writableEnded || input.destroyed) return;
    // A transcode that ends instead of draining stops the wait; its failure is reported once, by
    // the handler set at its start (which ends the read) and by finishTranscode.
    if (!input.write(buf)) await Promise.race([once(input, 'drain'), this.transcode!.done.catch(() => undefined)]);
  }

  private onOutput(chunk: Buffer): void {
    let tags;
    try {
      tags = this.out.push(chunk);
    } catch (err) {
      this.o.log.error({ rendition: streamLabel(this.o.rendition), err: (err as Error).message }, 'unreadable transcoder output; the rendition ends');
      this.stop('ffmpeg_failed');
      this.transcode?.kill();
      return;
    }
    for (const t of tags) {
      if (t.type !== TAG_AUDIO && t.type !== TAG_VIDEO) continue;
      if (isConfig({ type: t.type, data: t.body })) this.renditionCodecs.see(t.type, t.body);
      this.publisher.onPacket({ codec_type: t.type, flags: 0, dts: t.timestampMs, size: t.body.length, data: t.body });
      if (!this.codecsReported && this.codecsKnown()) {
        this.codecsReported = true;
        this.o.onCodecs(this.sourceCodecs, this.renditionCodecs);
      }
      if (!this.announced && t.type === TAG_VIDEO && parseVideoTag(t.body).isKey) {
        this.announced = true;
        // announcePublish reports its own failures; this backstop only keeps a bug in it from escaping.
        this.announcement = this.announcePublish().catch((err: unknown) => {
          this.o.log.error({ rendition: streamLabel(this.o.rendition), err: (err as Error).message }, 'rendition announcement failed; the rendition ends');
          this.stop('failed', `announcement failed: ${(err as Error).message}`);
          return false;
        });
      }
    }
  }

  /** Both sides' video codecs, and their audio codecs when the source has audio. */
  private codecsKnown(): boolean {
    if (!this.renditionCodecs.codecs() || !this.sourceCodecs.codecs()) return false;
    return this.o.demand.sourceCodecs.audio === null || (this.renditionCodecs.hasAudio && this.sourceCodecs.hasAudio);
  }

  /** True once the matcher was told; on failure the job stops as failed (ffmpeg killed) and false. */
  private async announcePublish(): Promise<boolean> {
    const d = this.o.demand;
    const t = this.o.template;
    let startSeq: number;
    try {
      startSeq = await this.publisher.firstSeq;
    } catch (err) {
      this.o.log.error({ rendition: streamLabel(this.o.rendition), err: (err as Error).message }, 'rendition not announced: its first batch never reached the media plane');
      this.stop('failed', `the rendition's first batch never reached the media plane: ${(err as Error).message}`);
      return false;
    }
    const ev: IngestPublished = {
      stream: this.o.rendition, sessionId: this.sessionId, nodeId: this.o.workerId, clientAddress: 'transcoder', host: d.source.domain,
      codecs: {
        video: 'h264', audio: d.sourceCodecs.audio === null ? null : 'aac',
        width: this.renditionCodecs.width || t.width, height: this.renditionCodecs.height || t.height, fps: t.fps, videoBitrateKbps: t.videoKbps,
      },
      params: d.params,
      media: { subject: SUBJECTS.media(streamToken(this.o.rendition)), startSeq, startMs: Date.now() },
      at: Date.now(),
      rendition: { source: d.source, sourceSessionId: d.sourceSessionId, transcodeTemplateId: d.transcodeTemplateId, recordTemplateId: d.recordTemplateId },
    };
    try {
      await publishDurable(this.o.bus, SUBJECTS.ingestPublish, ev, `publish:${this.sessionId}`);
    } catch (err) {
      // Without its publish event no recording of the rendition is made: transcoding it is wasted.
      this.o.log.error({ rendition: streamLabel(this.o.rendition), err: (err as Error).message }, 'rendition not announced: the broker did not take its publish event; the rendition ends');
      this.stop('failed', `the rendition's publish event was not taken: ${(err as Error).message}`);
      return false;
    }
    this.o.onStarted(this.sessionId);
    return true;
  }

  private async announceUnpublish(): Promise<void> {
    const ev: IngestUnpublished = { stream: this.o.rendition, sessionId: this.sessionId, nodeId: this.o.workerId, at: Date.now() };
    await publishDurable(this.o.bus, SUBJECTS.ingestUnpublish, ev, `unpublish:${this.sessionId}`);
  }

  /** Ends ffmpeg's input and waits for what it still holds; killed at once (or after FLUSH_MS). */
  private async finishTranscode(kill: boolean): Promise<{ ok: true } | { ok: false; error: string }> {
    const tc = this.transcode;
    if (!tc) return { ok: true };
    if (kill) tc.kill();
    else tc.input.end();
    // An output stream error is ffmpeg's failure too, which `tc.done` below reports.
    const outputEnded = tc.output.readableEnded ? Promise.resolve() : once(tc.output, 'end').then(() => undefined, () => undefined);
    const timer = setTimeout(() => tc.kill(), FLUSH_MS);
    try {
      await tc.done;
      await outputEnded;
      if (this.out.leftover > 0) this.o.log.warn({ rendition: streamLabel(this.o.rendition), bytes: this.out.leftover }, 'transcoder output ended inside a tag; the partial tag is dropped');
      return { ok: true };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
      this.transcode = null;
    }
  }
}

/** Reasons that end ffmpeg at once instead of letting it flush. */
function killsAtOnce(reason: JobExit): boolean {
  return reason === 'lease_lost' || reason === 'failed';
}

function startsWithKeyframe(packets: BatchPacket[]): boolean {
  const first = packets.find((p) => !p.repeated);
  if (!first || first.type !== TAG_VIDEO) return false;
  const info = parseVideoTag(first.data);
  return info.isKey && !info.isConfig;
}

function isConfig(p: { type: number; data: Buffer }): boolean {
  return p.type === TAG_VIDEO ? parseVideoTag(p.data).isConfig : parseAudioTag(p.data).isConfig;
}
