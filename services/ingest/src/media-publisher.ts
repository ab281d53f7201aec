// Publishes one publish session's packets to the media plane, from the first
// packet on, independent of any recording decision: batches in arrival order,
// cut at every video keyframe (a GOP start is where a consumer may enter) and
// at most every batchMs. One message in flight per stream keeps the order and
// lets a retry reuse its msgID, so a broker hiccup neither loses nor repeats.
// A batch cut while a message is in flight joins the waiting message unless it
// starts a GOP (consumers enter and cut segments only where a message starts):
// a burst (an encoder catching up, a busy broker) costs half the round trips.
// A stream only thumbnailed (not recorded) publishes its keyframes only.
import { headers } from '@nats-io/transport-node';
import { storeMedia, type Bus } from '../../../libs/bus/index.js';
import { BatchBuilder, MEDIA_HEADERS, TAG_AUDIO, TAG_VIDEO, parseAudioTag, parseVideoTag } from '../../../libs/media/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';

export interface PublisherCounters {
  batches(n: number): void;
  bytes(n: number): void;
  failures(n: number): void;
}

/** A packet as node-media-server hands it over: `data` is its reused receive buffer, valid for `size` bytes only now. */
export interface IngestPacket {
  codec_type: number;
  flags: number;
  dts: number;
  size: number;
  data: Buffer;
}

const MAX_BATCH_BYTES = 512 * 1024;
/** Room left in a message for the protocol line and headers. */
const MESSAGE_OVERHEAD = 4 * 1024;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A message not yet handed to the broker: batches cut meanwhile join it. */
interface Outgoing {
  parts: Uint8Array[];
  bytes: number;
  /** Starts with an entry batch: a consumer may begin here. */
  entry: boolean;
  end: boolean;
  sealed: boolean;
}
/** About 40 s of retries: within the media plane's 120 s duplicate window, so a late retry is still dropped as a repeat. */
const PUBLISH_ATTEMPTS = 8;

/**
 * The publish order of one stream's subject, shared by its sessions: a new
 * session's batches never overtake the tail (and end marker) of the previous one.
 */
export class SubjectOrder {
  tail: Promise<void> = Promise.resolve();
  /** Sequence of the last message this process stored on the subject: the next one expects it (null: not known). */
  lastSeq: number | null = null;
}

export class MediaPublisher {
  private readonly batch = new BatchBuilder();
  private batchStartedAt = 0;
  private batchEntry = false;
  /** Number of the next message handed to the broker (Lr-Batch): consecutive per session. */
  private batchNo = 0;
  /** The newest message still waiting for its turn, open to more batches. */
  private waiting: Outgoing | null = null;
  private mediaQueued = false;
  private videoConfig: { dts: number; body: Buffer } | null = null;
  private audioConfig: { dts: number; body: Buffer } | null = null;
  private seenVideo = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private keyframesOnly = false;
  private ended = false;
  /** Bytes handed to the broker but not yet acknowledged (visible as back pressure). */
  queuedBytes = 0;
  private firstSeqResolve!: (seq: number) => void;
  private firstSeqReject!: (err: Error) => void;
  /** The media-plane sequence of the session's first batch: where a recording of it starts. */
  readonly firstSeq = new Promise<number>((resolve, reject) => {
    this.firstSeqResolve = resolve;
    this.firstSeqReject = reject;
  });

  constructor(
    private readonly bus: Bus,
    readonly subject: string,
    readonly sessionId: string,
    private readonly batchMs: number,
    private readonly log: Logger,
    private readonly counters: PublisherCounters,
    private readonly order: SubjectOrder = new SubjectOrder(),
  ) {
    // Observed by the announcement, which waits for it and logs a failure; this only keeps an unawaited rejection quiet.
    this.firstSeq.catch(() => undefined);
  }

  onPacket(p: IngestPacket): void {
    if (this.stopped || (p.codec_type !== TAG_AUDIO && p.codec_type !== TAG_VIDEO)) return;
    const body = p.data.subarray(0, p.size);
    const now = Date.now();
    if (p.codec_type === TAG_VIDEO) {
      const info = parseVideoTag(body);
      if (info.isConfig) this.videoConfig = { dts: p.dts, body: Buffer.from(body) };
      if (info.isKey && !info.isConfig) {
        this.seenVideo = true;
        // A GOP starts: close the batch so that this one begins with the keyframe.
        this.flush();
        this.beginBatch(now, true);
        if (this.keyframesOnly) {
          this.batch.add(p.codec_type, p.dts, body);
          this.flush();
          return;
        }
      }
    } else if (parseAudioTag(body).isConfig) {
      this.audioConfig = { dts: p.dts, body: Buffer.from(body) };
    }
    if (this.keyframesOnly) return;
    if (this.batch.packets === 0) this.beginBatch(now, !this.seenVideo);
    this.batch.add(p.codec_type, p.dts, body);
    if (this.batch.byteLength >= MAX_BATCH_BYTES || now - this.batchStartedAt >= this.batchMs) this.flush();
    else this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, this.batchMs).unref();
  }

  /** Starts a batch; an entry batch carries the current configuration records for consumers starting there. */
  private beginBatch(now: number, entry: boolean): void {
    this.batchStartedAt = now;
    this.batchEntry = entry;
    if (!entry) return;
    if (this.videoConfig) this.batch.add(TAG_VIDEO, this.videoConfig.dts, this.videoConfig.body, true);
    if (this.audioConfig) this.batch.add(TAG_AUDIO, this.audioConfig.dts, this.audioConfig.body, true);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    // A batch of repeated configuration records only carries no media.
    if (this.batch.packets === 0) return;
    const entry = this.batchEntry;
    const bytes = this.batch.take();
    if (!this.hasMedia(bytes)) return;
    this.mediaQueued = true;
    const open = this.waiting;
    // A batch's packets follow its version byte; joined batches share the message's.
    if (!entry && open && !open.sealed && !open.end && open.bytes + bytes.byteLength - 1 <= this.maxMessageBytes()) {
      open.parts.push(bytes.subarray(1));
      open.bytes += bytes.byteLength - 1;
      this.queuedBytes += bytes.byteLength - 1;
      return;
    }
    this.send({ parts: [bytes], bytes: bytes.byteLength, entry, end: false, sealed: false });
  }

  private maxMessageBytes(): number {
    return (this.bus.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - MESSAGE_OVERHEAD;
  }

  private hasMedia(bytes: Uint8Array): boolean {
    // Every packet header is 10 bytes; flags bit 0 marks a repeated configuration record.
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 1;
    while (at + 10 <= b.length) {
      if ((b[at + 1] & 1) === 0) return true;
      at += 10 + b.readUInt32BE(at + 6);
    }
    return false;
  }

  private send(out: Outgoing): void {
    this.queuedBytes += out.bytes;
    this.waiting = out;
    this.order.tail = this.order.tail.then(async () => {
      out.sealed = true;
      if (this.waiting === out) this.waiting = null;
      const bytes = out.parts.length === 1 ? out.parts[0] : Buffer.concat(out.parts, out.bytes);
      const no = out.end ? 'end' : this.batchNo++;
      const h = headers();
      h.set(MEDIA_HEADERS.session, this.sessionId);
      h.set(MEDIA_HEADERS.batch, String(no));
      if (out.entry) h.set(MEDIA_HEADERS.entry, '1');
      if (out.end) h.set(MEDIA_HEADERS.end, '1');
      try {
        const seq = await this.publish(bytes, h, `${this.sessionId}:${no}`);
        this.order.lastSeq = seq;
        if (no === 0) this.firstSeqResolve(seq);
        this.counters.batches(1);
        this.counters.bytes(bytes.byteLength);
      } catch (err) {
        this.counters.failures(1);
        this.log.error({ subject: this.subject, sessionId: this.sessionId, batch: no, err: (err as Error).message }, 'media batch lost: the broker did not take it');
        if (no === 0) this.firstSeqReject(err as Error);
      } finally {
        this.queuedBytes -= out.bytes;
      }
    });
  }

  /** Stores one message; readers of the subject in this process get it from the bus's media hub (libs/bus/media-hub.ts). */
  private async publish(bytes: Uint8Array, h: ReturnType<typeof headers>, msgID: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const after = this.order.lastSeq;
        const { seq, prevSeq } = await storeMedia(this.bus, this.subject, bytes, h, { msgID, timeoutMs: 5000, after });
        // Readers in this process then read it from the broker instead of the hub: visible, not an error.
        if (after !== null && prevSeq === null) this.log.info({ subject: this.subject, sessionId: this.sessionId, seq, after }, 'media batch stored without following this ingest\'s last one (another publisher in between, or a repeat)');
        return seq;
      } catch (err) {
        if (attempt >= PUBLISH_ATTEMPTS || this.bus.nc.isClosed()) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  /**
   * From now on publishes only each GOP's keyframe, in an entry batch of its own with the
   * configuration records (the stream is not recorded, but thumbnails are taken of it).
   */
  onlyKeyframes(): void {
    // What was gathered goes as it is: it may hold the session's first keyframe.
    this.flush();
    this.keyframesOnly = true;
  }

  /** Stops publishing without an end marker (the stream is not recorded: nothing reads it). */
  silence(): void {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.batch.take();
  }

  /** The publisher left: flushes the last batch and marks the end of the session. */
  async end(): Promise<void> {
    if (this.ended) return this.order.tail;
    this.ended = true;
    if (!this.stopped) this.flush();
    this.stopped = true;
    if (!this.mediaQueued) this.firstSeqReject(new Error('the session published no media'));
    this.send({ parts: [new Uint8Array(0)], bytes: 0, entry: false, end: true, sealed: false });
    await this.order.tail;
  }
}
