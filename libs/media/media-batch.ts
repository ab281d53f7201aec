// The media plane's wire format: one JetStream message carries a batch of a
// stream's packets in arrival (decode) order. Binary, no JSON per packet:
//
//   batch   := version:u8 (=1) packet*
//   packet  := type:u8 (8 audio, 9 video) flags:u8 dts:u32be length:u32be body[length]
//   flags   := bit 0 set: a repeated codec configuration record (see below)
//
// A batch that starts with a video keyframe (and every batch of an audio-only
// stream) begins with copies of the stream's current configuration records,
// flagged as repeated, so a consumer may start at any such batch without
// reading the stream from its beginning. Consumers that read on from an earlier
// batch skip the repeats.

import { TAG_AUDIO, TAG_VIDEO, type MediaPacket } from './flv-tags.js';

export const BATCH_VERSION = 1;
const FLAG_REPEATED_CONFIG = 0x01;
const PACKET_HEADER = 10;

export interface BatchPacket extends MediaPacket {
  /** A copy of the configuration record, repeated at a GOP start for late joiners. */
  repeated: boolean;
}

/**
 * Builds one batch in place: each packet is copied once, straight from the
 * ingest's (reused) receive buffer into the batch being built.
 */
export class BatchBuilder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 1;
  packets = 0;

  constructor() {
    this.buf[0] = BATCH_VERSION;
  }

  get byteLength(): number {
    return this.at;
  }

  add(type: number, dts: number, body: Buffer, repeated = false): void {
    const need = this.at + PACKET_HEADER + body.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    this.buf[this.at] = type;
    this.buf[this.at + 1] = repeated ? FLAG_REPEATED_CONFIG : 0;
    this.buf.writeUInt32BE(dts >>> 0, this.at + 2);
    this.buf.writeUInt32BE(body.length, this.at + 6);
    body.copy(this.buf, this.at + PACKET_HEADER);
    this.at = need;
    this.packets++;
  }

  /** The batch's bytes; the builder starts a new batch. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.at);
    // The next batch is about as large as this one: start there instead of growing again.
    this.buf = Buffer.allocUnsafe(Math.max(16 * 1024, this.at + 16 * 1024));
    this.buf[0] = BATCH_VERSION;
    this.at = 1;
    this.packets = 0;
    return out;
  }
}

export function encodeBatch(packets: readonly BatchPacket[]): Uint8Array {
  const b = new BatchBuilder();
  for (const p of packets) b.add(p.type, p.dts, p.data, p.repeated);
  return b.take();
}

export class BatchFormatError extends Error {}

/** Decodes a batch; packet bodies are views into the message's bytes (no copy). */
export function decodeBatch(bytes: Uint8Array): BatchPacket[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 1 || buf[0] !== BATCH_VERSION) throw new BatchFormatError(`unknown media batch version ${buf[0]}`);
  const out: BatchPacket[] = [];
  let at = 1;
  while (at < buf.length) {
    if (at + PACKET_HEADER > buf.length) throw new BatchFormatError('truncated media packet header');
    const type = buf[at];
    const len = buf.readUInt32BE(at + 6);
    if (type !== TAG_AUDIO && type !== TAG_VIDEO) throw new BatchFormatError(`unknown media packet type ${type}`);
    if (at + PACKET_HEADER + len > buf.length) throw new BatchFormatError('truncated media packet body');
    out.push({
      type,
      repeated: (buf[at + 1] & FLAG_REPEATED_CONFIG) !== 0,
      dts: buf.readUInt32BE(at + 2),
      data: buf.subarray(at + PACKET_HEADER, at + PACKET_HEADER + len),
    });
    at += PACKET_HEADER + len;
  }
  return out;
}

/** NATS headers of media-plane messages. */
export const MEDIA_HEADERS = {
  /** The ingest session (one publish) the batch belongs to. */
  session: 'Lr-Session',
  /** Batch number within the session, from 0. */
  batch: 'Lr-Batch',
  /** Present on the last message of a session: the publisher is gone (empty body). */
  end: 'Lr-End',
  /** On a batch that starts a GOP (or any batch of an audio-only stream): a consumer may start here. */
  entry: 'Lr-Entry',
} as const;
