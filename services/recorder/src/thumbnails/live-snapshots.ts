// Thumbnails of live streams that are not recorded. A recorded stream's thumbnails come from its
// segmenter; a stream with a snapshot configuration and no recording (no template matched, a
// manual or on-demand template not started, a renditions-only template) gets them here: one
// recorder worker takes the publish decision (durable `recorder-snapshots`, each decision to one
// worker) and reads the session's entry batches off the media plane, where the ingest keeps only
// its keyframes when nothing records it. Each GOP's keyframe goes through the same sampler and
// worker as a recording's, paused while a recording of the stream is running (a manual start).
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import {
  CONSUMERS, STREAMS, SUBJECTS, consumeDurable, readOrdered, streamLabel, streamToken, subscribeJson,
  type Bus, type IngestPublished, type MatchDecision, type OrderedMessages, type RecordingStateChanged, type Running,
} from '../../../../libs/bus/index.js';
import { MEDIA_HEADERS, TAG_VIDEO, decodeBatch, parseVideoTag } from '../../../../libs/media/index.js';
import type { Logger } from '../../../../libs/telemetry/index.js';
import type { KeyframeSample, Thumbnails } from './index.js';

/** A session whose media plane has been silent this long (its ingest node gone without an end marker) is given up. */
const SILENT_MS = 120_000;

interface SnapshotSession {
  publish: IngestPublished;
  reader: OrderedMessages | null;
  /** A recording of the stream is running: its segmenter takes the thumbnails. */
  paused: boolean;
  stopped: boolean;
}

export class LiveSnapshots {
  private consumer: Running | null = null;
  private stateSub: Subscription | null = null;
  /** By stream token: one session per stream (a newer publish replaces an older one). */
  private readonly sessions = new Map<string, SnapshotSession>();

  constructor(private bus: Bus, private thumbnails: Thumbnails, private mediaMaxAgeMs: number, private log: Logger) {}

  async start(): Promise<void> {
    this.stateSub = subscribeJson<RecordingStateChanged>(this.bus, SUBJECTS.recordingState, 'recording states (live snapshots)', this.log, (ev) => {
      const s = this.sessions.get(streamToken(ev.stream));
      if (s) s.paused = ev.phase === 'recording';
    });
    this.consumer = await consumeDurable<MatchDecision>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.recorderSnapshots, filterSubject: SUBJECTS.matchDecision,
      component: 'recorder', log: this.log, concurrency: 4, deliverNew: true,
    }, async (d) => this.onDecision(d));
  }

  private onDecision(d: MatchDecision): void {
    const p = d.publish;
    // Recorded from the start (the segmenter takes its thumbnails), or continuing a recording's actor.
    if ((d.record && d.plan !== null) || d.reason === 'continued' || !p || p.rendition) return;
    if (p.codecs.video !== 'h264' && p.codecs.video !== 'h265') return;
    // Its media is no longer on the media plane (a decision read long after it was made).
    if (Date.now() - d.at > this.mediaMaxAgeMs) return;
    const sink = this.thumbnails.sessionSink(p.stream, p.sessionId);
    if (!sink) return;
    const token = streamToken(p.stream);
    const previous = this.sessions.get(token);
    if (previous) this.end(token, previous);
    const session: SnapshotSession = { publish: p, reader: null, paused: false, stopped: false };
    this.sessions.set(token, session);
    this.log.info({ stream: streamLabel(p.stream), sessionId: p.sessionId, reason: d.reason }, 'live snapshots: thumbnails of a stream that is not recorded');
    void this.run(session, sink).catch((err: unknown) => {
      this.log.error({ stream: streamLabel(p.stream), sessionId: p.sessionId, err: (err as Error).message }, 'live snapshots: the media plane could not be read; the stream gets no more thumbnails this session');
    }).finally(() => {
      if (this.sessions.get(token) === session) this.sessions.delete(token);
    });
  }

  private end(token: string, s: SnapshotSession): void {
    s.stopped = true;
    s.reader?.stop();
    if (this.sessions.get(token) === s) this.sessions.delete(token);
  }

  private async run(s: SnapshotSession, sink: (sample: KeyframeSample) => void): Promise<void> {
    const { media, sessionId } = s.publish;
    const from = media.startSeq
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: media.startSeq }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(media.startMs - 1000).toISOString() };
    const reader = await readOrdered(this.bus, STREAMS.media, { filter_subjects: media.subject, ...from });
    if (s.stopped) {
      reader.stop();
      return;
    }
    s.reader = reader;
    const quiet = () => setTimeout(() => {
      this.log.warn({ stream: streamLabel(s.publish.stream), sessionId }, 'live snapshots: the session\'s media went silent without an end; reading stops');
      reader.stop();
    }, SILENT_MS).unref();
    let silence = quiet();
    let record: Buffer | null = null;
    let firstDts: number | null = null;
    let seen = false;
    try {
      for await (const m of reader) {
        clearTimeout(silence);
        silence = quiet();
        if (m.headers?.get(MEDIA_HEADERS.session) !== sessionId) {
          // A later session of the stream: this one is over (its own decision starts what follows).
          if (seen) break;
          continue;
        }
        seen = true;
        if (m.headers?.has(MEDIA_HEADERS.end)) break;
        if (!m.headers?.has(MEDIA_HEADERS.entry) || s.paused) continue;
        for (const p of decodeBatch(m.data)) {
          if (p.type !== TAG_VIDEO) continue;
          const info = parseVideoTag(p.data);
          if (info.isConfig) {
            record = p.data.subarray(info.payloadOffset);
            continue;
          }
          if (p.repeated) continue;
          // The batch's first media packet: the GOP's keyframe.
          if (info.isKey && record && info.codec) {
            firstDts ??= p.dts;
            sink({ codec: info.codec, record, frame: p.data.subarray(info.payloadOffset), atMs: Math.round(m.info.timestampNanos / 1e6), timelineMs: Math.max(0, p.dts - firstDts) });
          }
          break;
        }
      }
    } finally {
      clearTimeout(silence);
      reader.stop();
    }
    await this.thumbnails.sessionIdle(sessionId);
    this.log.info({ stream: streamLabel(s.publish.stream), sessionId }, 'live snapshots: session over');
  }

  async stop(): Promise<void> {
    this.stateSub?.unsubscribe();
    this.stateSub = null;
    await this.consumer?.stop();
    this.consumer = null;
    for (const [token, s] of [...this.sessions]) this.end(token, s);
  }
}
