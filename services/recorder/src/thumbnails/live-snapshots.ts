// Thumbnails of live streams while they are not recorded. A recording's thumbnails come from its
// segmenter; a live stream with a snapshot configuration and no recording running (no template
// matched, a manual or on-demand template not started, a renditions-only template, a recording
// stopped by command) gets them here. One recorder worker takes each publish decision (durable
// `recorder-snapshots`, each decision to one worker) and keeps the session: while no recording of
// the stream runs it reads the session's entry batches off the media plane (where the ingest keeps
// only keyframes when nothing records the stream) and hands each GOP's keyframe to the same
// sampler and worker as a recording's; while one runs (recording state events) it reads nothing.
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import {
  CONSUMERS, STREAMS, SUBJECTS, consumeDurable, lastMessageOn, readOrdered, request, streamLabel, streamToken, subscribeJson,
  type ActorMessage, type ActorReply, type Bus, type IngestPublished, type MatchDecision, type OrderedMessages, type RecordingStateChanged, type Running
} from '../../../../libs/bus/index.js';
import { MEDIA_HEADERS, TAG_VIDEO, decodeBatch, parseVideoTag } from '../../../../libs/media/index.js';
import { meter, type Logger } from '../../../../libs/telemetry/index.js';
import type { KeyframeSample, Thumbnails } from './index.js';

/** A session whose media plane has been silent this long (its ingest node gone without an end marker) is given up. */
const SILENT_MS = 120_000;

interface SnapshotSession {
  token: string;
  publish: IngestPublished;
  sink: (sample: KeyframeSample) => void;
  /** When the decision was made: recording state events older than it belong to an earlier recording. */
  since: number;
  /** A recording of the stream runs (its segmenter takes the thumbnails): nothing is read. */
  recording: boolean;
  /** The reader while no recording runs. */
  reader: OrderedMessages | null;
  /** The session's timestamps at its first batch: {Sequence} counts intervals from there. */
  originDts: number | null;
  over: boolean;
}

export class LiveSnapshots {
  private consumer: Running | null = null;
  private stateSub: Subscription | null = null;
  /** By stream token: one session per stream (a newer publish replaces an older one). */
  private readonly sessions = new Map<string, SnapshotSession>();
  private readonly readers = meter('recorder').createUpDownCounter('liverecord_thumbnail_live_readers', { description: 'Media-plane readers taking thumbnails of live streams while they are not recorded' });

  constructor(private bus: Bus, private thumbnails: Thumbnails, private mediaMaxAgeMs: number, private log: Logger) {}

  async start(): Promise<void> {
    this.stateSub = subscribeJson<RecordingStateChanged>(this.bus, SUBJECTS.recordingState, 'recording states (live snapshots)', this.log, (ev) => this.onState(ev));
    this.consumer = await consumeDurable<MatchDecision>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.recorderSnapshots, filterSubject: SUBJECTS.matchDecision,
      component: 'recorder', log: this.log, concurrency: 4, deliverNew: true,
    }, (d) => this.onDecision(d));
  }

  private async onDecision(d: MatchDecision): Promise<void> {
    const p = d.publish;
    if (!p || p.rendition) return;
    const token = streamToken(p.stream);
    // A newer publish of the stream: the session kept here (if this worker keeps it) is over.
    const previous = this.sessions.get(token);
    if (previous) this.drop(previous);
    if (p.codecs.video !== 'h264' && p.codecs.video !== 'h265') return;
    // Its media is no longer on the media plane (a decision read long after it was made).
    if (Date.now() - d.at > this.mediaMaxAgeMs) return;
    const sink = this.thumbnails.sessionSink(p.stream, p.sessionId);
    if (!sink) return;
    const s: SnapshotSession = { token, publish: p, sink, since: d.at, recording: d.record && d.plan !== null, reader: null, originDts: null, over: false };
    this.sessions.set(token, s);
    if (d.reason === 'continued') {
      // An actor continues: read the stream only if it is not recording (a manual stream waiting for its start).
      const reply = await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(token), { type: 'status' }, 5000).catch((err: unknown) => {
        this.log.warn({ stream: streamLabel(p.stream), err: (err as Error).message }, 'live snapshots: the continued actor did not say whether it records; waiting for its next state');
        return null;
      });
      s.recording = reply === null || (reply.ok && reply.phase === 'recording');
    }
    this.log.info({ stream: streamLabel(p.stream), sessionId: p.sessionId, reason: d.reason, recording: s.recording }, 'live snapshots: session kept');
    if (!s.recording) this.read(s, { seq: p.media.startSeq, startMs: p.media.startMs, seen: false });
  }

  /** A recording of a kept session's stream started (its segmenter takes over) or stopped (the reader takes over again). */
  private onState(ev: RecordingStateChanged): void {
    const s = this.sessions.get(streamToken(ev.stream));
    if (!s || ev.at < s.since) return;
    if (ev.phase === 'recording') {
      s.recording = true;
      s.reader?.stop();
      s.reader = null;
    } else if (ev.phase === 'reconnect_wait' || ev.phase === 'ended') {
      // The publisher left (its reader, if any, meets the end marker by itself).
      if (!s.reader) this.drop(s);
    } else if (ev.phase === 'idle' || ev.phase === 'failed') {
      s.recording = false;
      if (s.reader) return;
      void this.resume(s).catch((err: unknown) => {
        this.log.error({ stream: streamLabel(s.publish.stream), err: (err as Error).message }, 'live snapshots: could not find where the stream is on the media plane; no thumbnails until its next publish');
        this.drop(s);
      });
    }
  }

  /** Reads on from the stream's newest message, if the session is still what the media plane holds. */
  private async resume(s: SnapshotSession): Promise<void> {
    const last = await lastMessageOn(this.bus.jsm, STREAMS.media, s.publish.media.subject);
    if (s.over || s.reader || s.recording) return;
    if (!last || last.header?.get(MEDIA_HEADERS.session) !== s.publish.sessionId || last.header?.has(MEDIA_HEADERS.end)) {
      this.drop(s);
      return;
    }
    this.read(s, { seq: last.seq, startMs: s.publish.media.startMs, seen: true });
  }

  private drop(s: SnapshotSession): void {
    s.over = true;
    s.reader?.stop();
    s.reader = null;
    if (this.sessions.get(s.token) === s) this.sessions.delete(s.token);
  }

  private read(s: SnapshotSession, from: { seq: number | null; startMs: number; seen: boolean }): void {
    const stream = streamLabel(s.publish.stream);
    void this.run(s, from).catch((err: unknown) => {
      this.log.error({ stream, sessionId: s.publish.sessionId, err: (err as Error).message }, 'live snapshots: the media plane could not be read; the stream gets no more thumbnails this session');
      this.drop(s);
    });
  }

  private async run(s: SnapshotSession, from: { seq: number | null; startMs: number; seen: boolean }): Promise<void> {
    const { media, sessionId } = s.publish;
    const opts = from.seq
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.seq }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.startMs - 1000).toISOString() };
    const reader = await readOrdered(this.bus, STREAMS.media, { filter_subjects: media.subject, ...opts });
    if (s.over || s.reader || s.recording) {
      reader.stop();
      return;
    }
    s.reader = reader;
    this.readers.add(1);
    const quiet = () => setTimeout(() => {
      this.log.warn({ stream: streamLabel(s.publish.stream), sessionId }, 'live snapshots: the session\'s media went silent without an end; reading stops');
      this.drop(s);
    }, SILENT_MS).unref();
    let silence = quiet();
    let record: Buffer | null = null;
    let seen = from.seen;
    let ended = false;
    try {
      if (s.originDts === null && media.startSeq) s.originDts = await this.originOf(media.startSeq);
      for await (const m of reader) {
        clearTimeout(silence);
        silence = quiet();
        if (m.headers?.get(MEDIA_HEADERS.session) !== sessionId) {
          // A later session of the stream: this one is over (its own decision starts what follows).
          if (seen) {
            ended = true;
            break;
          }
          continue;
        }
        seen = true;
        if (m.headers?.has(MEDIA_HEADERS.end)) {
          ended = true;
          break;
        }
        if (!m.headers?.has(MEDIA_HEADERS.entry)) continue;
        for (const p of decodeBatch(m.data)) {
          s.originDts ??= p.dts;
          if (p.type !== TAG_VIDEO) continue;
          const info = parseVideoTag(p.data);
          if (info.isConfig) {
            record = p.data.subarray(info.payloadOffset);
            continue;
          }
          if (p.repeated) continue;
          // The batch's first media packet: the GOP's keyframe.
          if (info.isKey && record && info.codec) {
            s.sink({ codec: info.codec, record, frame: p.data.subarray(info.payloadOffset), atMs: Math.round(m.info.timestampNanos / 1e6), timelineMs: Math.max(0, p.dts - s.originDts) });
          }
          break;
        }
      }
    } finally {
      clearTimeout(silence);
      reader.stop();
      this.readers.add(-1);
      if (s.reader === reader) s.reader = null;
    }
    if (ended) this.drop(s);
    await this.thumbnails.sessionIdle(sessionId);
    this.log.info({ stream: streamLabel(s.publish.stream), sessionId }, s.over ? 'live snapshots: session over' : 'live snapshots: reading paused while the stream records');
  }

  /** The timestamp of the session's first packet, or null when the media plane no longer holds it. */
  private async originOf(seq: number): Promise<number | null> {
    const first = await this.bus.jsm.streams.getMessage(STREAMS.media, { seq }).catch((err: unknown) => {
      if (/no message found/i.test(String((err as Error).message))) return null;
      throw err;
    });
    if (!first || first.header?.has(MEDIA_HEADERS.end)) return null;
    return decodeBatch(first.data).find((p) => !p.repeated)?.dts ?? null;
  }

  async stop(): Promise<void> {
    this.stateSub?.unsubscribe();
    this.stateSub = null;
    await this.consumer?.stop();
    this.consumer = null;
    for (const s of [...this.sessions.values()]) this.drop(s);
  }
}
