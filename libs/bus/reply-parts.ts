import { headers, type Msg, type MsgHdrs } from '@nats-io/transport-node';

// A request/reply answer may be larger than the broker's max_payload (1 MB by
// default; the embedded broker allows 8 MB). Rather than fail, the answer is
// sent as several messages to the same reply subject, each marked
// "index/count"; NATS delivers one publisher's messages in order. A one-part
// answer carries no mark, so any plain responder still works with `call`.

/** Header of each part of a reply sent in several messages: "{index}/{count}", 1-based. */
export const PART_HEADER = 'Lr-Reply-Part';

/** Room left in each message for headers (trace context, the part mark) and framing. */
const HEADER_ROOM = 8 * 1024;

/** Beyond this an answer is refused rather than sent: no caller pages that far. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** The largest body one message may carry on a connection with this max_payload. */
export function partSize(maxPayload: number): number {
  return Math.max(1024, maxPayload - HEADER_ROOM);
}

/** Splits an encoded reply into bodies that each fit one message. */
export function splitReply(body: Uint8Array, maxPayload: number): Uint8Array[] {
  const size = partSize(maxPayload);
  if (body.length <= size) return [body];
  const parts: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += size) parts.push(body.subarray(at, Math.min(body.length, at + size)));
  return parts;
}

export function partHeaders(index: number, count: number, base?: MsgHdrs): MsgHdrs {
  const h = base ?? headers();
  h.set(PART_HEADER, `${index + 1}/${count}`);
  return h;
}

/** Joins the parts of one reply as they arrive; a reply without part marks is complete at once. */
export class ReplyAssembler {
  private parts: (Uint8Array | undefined)[] = [];
  private received = 0;

  constructor(private readonly subject: string) {}

  /** The whole reply once its last part arrived, else null. Throws on parts that do not belong together. */
  add(msg: Msg): Uint8Array | null {
    const mark = msg.headers?.get(PART_HEADER);
    if (!mark) {
      if (this.received > 0) throw new Error(`reply from ${this.subject}: an unmarked message among the parts of a split reply`);
      return msg.data;
    }
    const m = /^(\d+)\/(\d+)$/.exec(mark);
    const index = m ? Number(m[1]) - 1 : -1;
    const count = m ? Number(m[2]) : 0;
    if (!m || count < 1 || index < 0 || index >= count) throw new Error(`reply from ${this.subject}: malformed part mark "${mark}"`);
    if (this.received === 0) this.parts = new Array<Uint8Array | undefined>(count);
    if (this.parts.length !== count) throw new Error(`reply from ${this.subject}: parts announce ${this.parts.length} and ${count} messages`);
    if (this.parts[index]) throw new Error(`reply from ${this.subject}: part ${index + 1}/${count} arrived twice`);
    this.parts[index] = msg.data;
    this.received++;
    if (this.received < count) return null;
    const total = this.parts.reduce((n, p) => n + p!.length, 0);
    const whole = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      whole.set(p!, at);
      at += p!.length;
    }
    return whole;
  }

  /** What arrived so far, for the error of a reply that never completed. */
  progress(): string {
    return this.received === 0 ? 'no reply' : `${this.received} of ${this.parts.length} parts`;
  }
}
