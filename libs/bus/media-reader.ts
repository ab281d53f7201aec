// Reads one media-plane subject in order, from the broker or, when the ingest
// publishing it shares this connection, from the connection's media hub.
//
// Reading starts at the broker (what was stored before the reader came: the
// start of a session, a takeover's replay). Once the hub offers the message that
// directly follows the last one handed out (its `prevSeq`, confirmed by the broker,
// is that message's sequence), the broker's consumer is stopped and the hub feeds
// the reader: same messages, same sequences, no second delivery by the broker.
// Anything that breaks that chain (another ingest published on the subject, the
// reader fell behind and the hub's queue overflowed, the publisher went quiet while
// the subject moved on) sends the reader back to the broker from the message after
// the last one handed out, so no message is skipped or repeated.
import { DeliverPolicy, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { Logger } from '../telemetry/index.js';
import type { Bus } from './connection.js';
import type { LocalMediaMsg, MediaMsg } from './media-hub.js';
import { lastMessageOn, readOrdered, type OrderedMessages, type OrderedReadOptions } from './ordered-reader.js';

export interface MediaMessages extends AsyncIterable<MediaMsg> {
  /** Ends the iteration (also from outside the loop). */
  stop(): void;
}

/** Hub messages held for a reader that is busy or still reading the broker; the oldest go first past it. */
const LOCAL_QUEUE_BYTES = 8 * 1024 * 1024;
const STALL_MS = 4000;
const MAX_BROKER_ENDS = 5;

/** Reads `subject` of `stream` in order from where `start` says (StartSequence, StartTime or New); `log` hears of every return to the broker. */
export async function readMedia(bus: Bus, stream: string, subject: string, start: Partial<OrderedConsumerOptions>, read: OrderedReadOptions, log: Logger): Promise<MediaMessages> {
  const reader = new LocalFirstReader(bus, stream, subject, start, read, log);
  await reader.open();
  return reader;
}

class LocalFirstReader implements MediaMessages {
  private broker: OrderedMessages | null = null;
  private brokerIter: AsyncIterator<JsMsg> | null = null;
  /** Bumped whenever the broker reader is replaced: a late answer of an old one is dropped. */
  private generation = 0;
  private pulling = false;
  private opening = false;
  private brokerHead: JsMsg | null = null;
  private readonly local: LocalMediaMsg[] = [];
  private localBytes = 0;
  private lastSeq: number | null = null;
  private failure: Error | null = null;
  /** Times in a row the broker's reader ended by itself without handing out a message. */
  private brokerEnds = 0;
  /** A question to the broker failed and was logged; further failures in a row are logged quietly. */
  private askFailing = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private unlisten: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Since when the caller has been waiting for a message (null while it works on one). */
  private waitingSince: number | null = null;
  private checking = false;

  constructor(
    private readonly bus: Bus,
    private readonly stream: string,
    private readonly subject: string,
    /** Where to begin; a New start is pinned to a sequence at open. */
    private start: Partial<OrderedConsumerOptions>,
    private readonly read: OrderedReadOptions,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    // Listening first: what is published while the broker's consumer is created is queued, not missed.
    this.unlisten = this.bus.media.listen(this.subject, (m) => this.onLocal(m));
    try {
      // "Only what comes next" becomes a sequence: a reader that has to start over must not skip what came meanwhile.
      if (this.start.deliver_policy === DeliverPolicy.New) await this.pinNew();
      this.useBroker(await this.openBroker(this.start));
    } catch (err) {
      this.stop();
      throw err;
    }
    this.timer = setInterval(() => void this.checkQuiet(), STALL_MS / 2);
    this.timer.unref();
  }

  /** New → after the subject's last message (handed out already, as it were), or from the stream's next sequence. */
  private async pinNew(): Promise<void> {
    // The stream's end first: a message stored on the subject between the two questions is then after it, not skipped.
    const next = (await this.bus.jsm.streams.info(this.stream)).state.last_seq + 1;
    const last = await lastMessageOn(this.bus.jsm, this.stream, this.subject);
    if (last) this.lastSeq = last.seq;
    this.start = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: last ? last.seq + 1 : next };
  }

  private openBroker(from: Partial<OrderedConsumerOptions>): Promise<OrderedMessages> {
    return readOrdered(this.bus, this.stream, { filter_subjects: this.subject, ...from }, { ...this.read, log: this.log });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten?.();
    if (this.timer) clearInterval(this.timer);
    this.closeBroker();
    this.local.length = 0;
    this.localBytes = 0;
    this.wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MediaMsg> {
    try {
      while (!this.stopped) {
        const m = this.next();
        if (m) {
          this.lastSeq = m.seq;
          this.waitingSince = null;
          yield m;
          continue;
        }
        if (this.failure) throw this.failure;
        this.waitingSince ??= Date.now();
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
      }
    } finally {
      this.stop();
    }
  }

  /** The next message to hand out, if one is at hand; starts whatever must bring the next otherwise. */
  private next(): MediaMsg | null {
    const last = this.lastSeq ?? 0;
    while (this.local.length && this.local[0].seq <= last) this.shiftLocal();
    if (this.brokerHead && this.brokerHead.seq <= last) this.brokerHead = null;
    const head = this.local[0];
    if (head && this.follows(head)) {
      this.shiftLocal();
      // A failed return to the broker is moot once the hub carries the reader on.
      this.failure = null;
      // The hub has caught up with the broker: the broker need not send this subject again.
      if (this.broker) this.closeBroker();
      return head;
    }
    if (this.brokerHead) {
      const m = this.brokerHead;
      this.brokerHead = null;
      this.brokerEnds = 0;
      this.pull();
      return m;
    }
    if (this.broker) this.pull();
    // The hub holds later messages, but not the one after the last: read the hole from the broker.
    else if (head && !this.opening) {
      this.log.debug({ subject: this.subject, lastSeq: this.lastSeq, hubSeq: head.seq, hubPrev: head.prevSeq }, 'media read: back to the broker for a message the hub does not hold');
      this.reopenBroker();
    }
    return null;
  }

  /** A hub message is next when it directly follows the last one handed out, or is the very one asked for first. */
  private follows(m: LocalMediaMsg): boolean {
    if (this.lastSeq === null) return this.start.deliver_policy === DeliverPolicy.StartSequence && m.seq === this.start.opt_start_seq;
    return m.prevSeq !== null && m.prevSeq === this.lastSeq;
  }

  private onLocal(m: LocalMediaMsg): void {
    if (this.stopped || m.seq <= (this.lastSeq ?? 0)) return;
    this.local.push(m);
    this.localBytes += m.data.byteLength;
    // The broker has them too: past the bound, the oldest are read from there instead of being held here.
    while (this.localBytes > LOCAL_QUEUE_BYTES && this.local.length > 1) this.shiftLocal();
    this.wakeUp();
  }

  private shiftLocal(): void {
    const m = this.local.shift();
    if (m) this.localBytes -= m.data.byteLength;
  }

  private useBroker(reader: OrderedMessages): void {
    this.generation++;
    this.broker = reader;
    this.brokerIter = reader[Symbol.asyncIterator]();
    this.brokerHead = null;
    this.pulling = false;
  }

  private closeBroker(): void {
    this.generation++;
    this.broker?.stop();
    this.broker = null;
    this.brokerIter = null;
    this.brokerHead = null;
    this.pulling = false;
  }

  /** Asks the broker's reader for one message ahead (one at a time: it holds a few more itself). */
  private pull(): void {
    if (this.pulling || this.brokerHead || !this.brokerIter) return;
    this.pulling = true;
    const gen = this.generation;
    this.brokerIter.next().then(
      (r) => {
        if (gen !== this.generation) return;
        this.pulling = false;
        if (r.done) {
          // Ended without being asked to: on a closed connection the read is over; otherwise a new reader carries on.
          this.broker = null;
          this.brokerIter = null;
          if (this.bus.nc.isClosed()) this.failure = new Error(`media read of ${this.subject} ended: the connection is closed`);
          else if (++this.brokerEnds > MAX_BROKER_ENDS) this.failure = new Error(`media read of ${this.subject}: the broker's reader ended ${this.brokerEnds} times in a row without a message`);
          else {
            this.log.warn({ subject: this.subject, lastSeq: this.lastSeq }, 'media read: the broker\'s reader ended by itself; reading again from the last message');
            this.reopenBroker();
          }
        } else this.brokerHead = r.value;
        this.wakeUp();
      },
      (err: unknown) => {
        if (gen !== this.generation) return;
        this.pulling = false;
        this.failure = err as Error;
        this.wakeUp();
      },
    );
  }

  /** Reads from the broker again, from the message after the last one handed out. */
  private reopenBroker(): void {
    if (this.stopped || this.opening) return;
    this.opening = true;
    const fromSeq = this.lastSeq;
    const from: Partial<OrderedConsumerOptions> = fromSeq === null
      ? this.start
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq + 1 };
    this.openBroker(from).then(
      (reader) => {
        this.opening = false;
        // The hub moved the reader on meanwhile: this one would send again what was handed out; next() reopens if needed.
        if (this.stopped || this.lastSeq !== fromSeq) reader.stop();
        else {
          this.closeBroker();
          this.useBroker(reader);
        }
        this.wakeUp();
      },
      (err: unknown) => {
        this.opening = false;
        if (this.lastSeq !== fromSeq && !this.stopped) {
          this.log.warn({ subject: this.subject, err: (err as Error).message }, 'media read: reading from the broker failed while the hub fed the reader; trying again when needed');
        } else this.failure = err as Error;
        this.wakeUp();
      },
    );
  }

  /**
   * Fed by the hub alone and waiting: if the subject moved on meanwhile (its publisher is
   * another ingest now), the hub will never bring it, so read it from the broker.
   */
  private async checkQuiet(): Promise<void> {
    if (this.stopped || this.broker || this.opening || this.checking) return;
    if (this.waitingSince === null || Date.now() - this.waitingSince < STALL_MS) return;
    this.checking = true;
    try {
      const last = await lastMessageOn(this.bus.jsm, this.stream, this.subject);
      if (this.askFailing) this.log.info({ subject: this.subject }, 'media read: the broker answers again');
      this.askFailing = false;
      if (last && last.seq > (this.lastSeq ?? 0) && !this.broker && !this.stopped) {
        this.log.info({ subject: this.subject, lastSeq: this.lastSeq, brokerLast: last.seq }, 'media read: the subject moved on without this process\'s ingest; reading from the broker');
        this.reopenBroker();
      }
    } catch (err) {
      // The next round asks again; the caller's idle limit ends a reader that stays stuck.
      // Once per outage at warn: every waiting reader asks every 2 s.
      this.log[this.askFailing ? 'debug' : 'warn']({ subject: this.subject, err: (err as Error).message }, 'media read: could not ask the broker for the subject\'s last message');
      this.askFailing = true;
    } finally {
      this.checking = false;
    }
  }

  private wakeUp(): void {
    this.wake?.();
  }
}
