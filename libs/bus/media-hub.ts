// In-process delivery of media-plane messages. When the ingest that publishes a
// stream and a reader of that stream share a connection (`npm start` runs every
// service in one process), the reader takes each batch from the ingest the moment
// the broker acknowledged it, under the sequence the broker gave it. The broker
// still stores every batch (a takeover or a late reader replays from it); it only
// no longer reads each one back from its file store to send it a second time, which
// at 100 streams cost it more CPU than storing them and 300 MB of block caches.
//
// A delivered message says which message of its subject precedes it (`prevSeq`),
// as the broker confirmed when storing it (expected last subject sequence): a
// reader uses it only when that is the message it handed out last, so it never
// skips one another publisher put in between (libs/bus/media-reader.ts).
import { PubHeaders, type PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Bus } from './connection.js';
import { isWrongRevision } from './kv-revision.js';

/** What a media reader needs of a message, whether it came from the broker or from the hub. */
export interface MediaMsg {
  readonly seq: number;
  readonly headers?: MsgHdrs;
  readonly data: Uint8Array;
  /** When the broker stored it (for a hub message: when it acknowledged it). */
  readonly info: { readonly timestampNanos: number };
}

export interface LocalMediaMsg extends MediaMsg {
  /** Sequence of the subject's message just before this one, as the broker confirmed; null when not known. */
  readonly prevSeq: number | null;
}

type Listener = (m: LocalMediaMsg) => void;

export class MediaHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  /** Calls `fn` with every message published on `subject` through this hub until the returned function is called. */
  listen(subject: string, fn: Listener): () => void {
    let set = this.listeners.get(subject);
    if (!set) this.listeners.set(subject, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(subject) === set) this.listeners.delete(subject);
    };
  }

  /** Hands a message the broker just stored to this process's readers of its subject (listeners do not throw: they queue it). */
  deliver(subject: string, m: LocalMediaMsg): void {
    const set = this.listeners.get(subject);
    if (!set) return;
    for (const fn of [...set]) fn(m);
  }
}

export interface StoreMediaOptions {
  msgID: string;
  timeoutMs: number;
  /** Sequence of the last message this process stored on the subject; null when it stored none (or does not know). */
  after: number | null;
}

/**
 * Stores one media-plane message (one attempt; the caller retries under the same msgID)
 * and hands it to this connection's readers of the subject. It claims to follow
 * `after`; the broker checks the claim, and when another publisher stored on the subject
 * since, the message is stored without it and says so (`prevSeq` null). A repeat the
 * broker recognises by its msgID was never checked against the claim: `prevSeq` null too.
 * `timestampNanos` of a hub message is this host's clock at the acknowledgement (the
 * broker does not return its store time); a replay from the broker has the broker's.
 */
export async function storeMedia(bus: Bus, subject: string, data: Uint8Array, headers: MsgHdrs, o: StoreMediaOptions): Promise<{ seq: number; prevSeq: number | null }> {
  let prevSeq = o.after;
  let ack: PubAck;
  try {
    ack = await bus.js.publish(subject, data, { headers, msgID: o.msgID, timeout: o.timeoutMs, ...(prevSeq !== null ? { expect: { lastSubjectSequence: prevSeq } } : {}) });
  } catch (err) {
    if (prevSeq === null || !isWrongRevision(err)) throw err;
    // The client wrote the claim into the headers it was given.
    headers.delete(PubHeaders.ExpectedLastSubjectSequenceHdr);
    prevSeq = null;
    ack = await bus.js.publish(subject, data, { headers, msgID: o.msgID, timeout: o.timeoutMs });
  }
  if (ack.duplicate) prevSeq = null;
  const seq = ack.seq;
  bus.media.deliver(subject, { seq, prevSeq, headers, data, info: { timestampNanos: Date.now() * 1e6 } });
  return { seq, prevSeq };
}
