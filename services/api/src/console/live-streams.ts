// Which streams are live, for the console. Nothing in the system keeps that list
// (the matcher keeps the last decision per stream, the recorder an actor per
// recorded stream, but a stream that is not recorded has neither), so the api reads
// it off the durable event log: every ingest publish and unpublish in LR_EVENTS
// (30 days), replayed at start and followed from then on. The view is per stream:
// its newest session, live until that session's unpublish.
import { DeliverPolicy } from '@nats-io/jetstream';
import {
  STREAMS, SUBJECTS, lastMessageOn, readOrdered, streamToken,
  type Bus, type CodecInfo, type IngestPublished, type IngestUnpublished, type OrderedMessages, type StreamRef
} from '../../../../libs/bus/index.js';
import type { Logger } from '../../../../libs/telemetry/index.js';

export interface StreamActivity {
  stream: StreamRef;
  sessionId: string;
  live: boolean;
  publishedMs: number;
  /** When the newest session ended; null while it is live. */
  unpublishedMs: number | null;
  nodeId: string;
  codecs: CodecInfo;
}

/** Streams remembered at most; beyond it the ones that ended longest ago are forgotten first. */
const MAX_STREAMS = 50_000;
/** Wait before a failed reader is opened again. */
const REOPEN_MS = 1000;

export class LiveStreamsView {
  private readonly streams = new Map<string, StreamActivity>();
  private reader: OrderedMessages | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Stream sequence of the last ingest event applied, and of the newest one there was at start. */
  private lastSeq = 0;
  private target = 0;
  private caughtUp = false;
  private markCaughtUp!: () => void;
  /** Resolves once the events that were in the log at start have been read. */
  readonly ready = new Promise<void>((r) => (this.markCaughtUp = r));

  constructor(private bus: Bus, private log: Logger) {}

  async start(): Promise<void> {
    // The newest ingest event now: the replay has caught up once it has read that far.
    const last = await lastMessageOn(this.bus.jsm, STREAMS.events, SUBJECTS.ingestAll);
    this.target = last?.seq ?? 0;
    if (this.target === 0) this.setCaughtUp();
    await this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.reader?.stop();
    this.reader = null;
  }

  /** Reads from the start of the log, or on from the last event read after a failure. */
  private async open(): Promise<void> {
    const from = this.lastSeq === 0
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 };
    const reader = await readOrdered(this.bus, STREAMS.events, { filter_subjects: SUBJECTS.ingestAll, ...from });
    if (this.stopped) {
      reader.stop();
      return;
    }
    this.reader = reader;
    void this.follow(reader);
  }

  private async follow(reader: OrderedMessages): Promise<void> {
    try {
      for await (const m of reader) {
        try {
          this.apply(m.subject, m.json<IngestPublished | IngestUnpublished>());
        } catch (err) {
          this.log.warn({ subject: m.subject, seq: m.seq, err: (err as Error).message }, 'console: malformed ingest event skipped');
        }
        this.lastSeq = m.seq;
        if (m.seq >= this.target) this.setCaughtUp();
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'console: the live-stream reader failed');
    }
    if (this.stopped) return;
    // The reader gave up (the broker was gone longer than it retries): start again after the last event read.
    this.reopenLater();
  }

  private reopenLater(): void {
    this.retry = setTimeout(() => {
      this.retry = null;
      this.open().catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'console: could not reopen the live-stream reader; retrying');
        this.reopenLater();
      });
    }, REOPEN_MS);
    this.retry.unref();
  }

  get complete(): boolean {
    return this.caughtUp;
  }

  /** Every stream seen, live ones first, then by latest activity. */
  list(): StreamActivity[] {
    const lastActivity = (s: StreamActivity) => s.unpublishedMs ?? s.publishedMs;
    return [...this.streams.values()].sort((a, b) => Number(b.live) - Number(a.live) || lastActivity(b) - lastActivity(a));
  }

  private setCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.markCaughtUp();
  }

  private apply(subject: string, ev: IngestPublished | IngestUnpublished): void {
    const key = streamToken(ev.stream);
    if (subject === SUBJECTS.ingestPublish) {
      const p = ev as IngestPublished;
      const prev = this.streams.get(key);
      // Events of one stream come in order, but a late copy of an older publish must not replace a newer session.
      if (prev && prev.publishedMs > p.at) return;
      this.streams.set(key, { stream: p.stream, sessionId: p.sessionId, live: true, publishedMs: p.at, unpublishedMs: null, nodeId: p.nodeId, codecs: p.codecs });
      if (this.streams.size > MAX_STREAMS) this.forgetOldest();
    } else if (subject === SUBJECTS.ingestUnpublish) {
      const current = this.streams.get(key);
      // The end of an older session says nothing about the newer one.
      if (current && current.sessionId === ev.sessionId) {
        current.live = false;
        current.unpublishedMs = ev.at;
      }
    }
    // lr.evt.ingest.refused: a refused publish never went live.
  }

  /** Drops the tenth of the ended streams that ended first (live ones are kept whatever the count). */
  private forgetOldest(): void {
    const ended = [...this.streams.entries()].filter(([, s]) => !s.live).sort(([, a], [, b]) => (a.unpublishedMs ?? 0) - (b.unpublishedMs ?? 0));
    for (const [key] of ended.slice(0, Math.ceil(MAX_STREAMS / 10))) this.streams.delete(key);
  }
}
