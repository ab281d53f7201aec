// FLV tag bodies as RTMP carries them (the ingest forwards them untouched), and
// the FLV file framing written around them. RTMP audio/video message bodies are
// byte for byte FLV tag bodies, so FLV is written by appending, never re-muxed.

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;

/** One audio or video packet of a live stream, as published on the media plane. */
export interface MediaPacket {
  type: typeof TAG_AUDIO | typeof TAG_VIDEO;
  /** Decode timestamp in milliseconds (RTMP's 32-bit clock). */
  dts: number;
  /** The FLV tag body. */
  data: Buffer;
}

export type VideoCodecId = 'avc' | 'hevc';
export type AudioCodecId = 'aac' | 'mp3';

export interface VideoTagInfo {
  codec: VideoCodecId | null;
  /** The decoder configuration record (AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord). */
  isConfig: boolean;
  isKey: boolean;
  /** Composition time offset in ms (pts - dts). */
  cts: number;
  /** Offset of the codec payload (length-prefixed NAL units or the configuration record) in the body. */
  payloadOffset: number;
}

const FOURCC_HEVC = 0x68766331; // 'hvc1'
const FOURCC_AVC = 0x61766331; // 'avc1'

function int24(b: Buffer, at: number): number {
  const v = b.readUIntBE(at, 3);
  return v & 0x800000 ? v - 0x1000000 : v;
}

/** Reads what a recorder needs from a video tag body: codec, key/config flags, composition offset. */
export function parseVideoTag(body: Buffer): VideoTagInfo {
  if (body.length < 1) return { codec: null, isConfig: false, isKey: false, cts: 0, payloadOffset: body.length };
  const frameType = (body[0] >> 4) & 0x07;
  const isKey = frameType === 1;
  if (body[0] & 0x80) {
    // Enhanced RTMP: packet type in the low nibble, FourCC after it.
    const packetType = body[0] & 0x0f;
    const fourcc = body.length >= 5 ? body.readUInt32BE(1) : 0;
    const codec: VideoCodecId | null = fourcc === FOURCC_HEVC ? 'hevc' : fourcc === FOURCC_AVC ? 'avc' : null;
    if (packetType === 0) return { codec, isConfig: true, isKey: false, cts: 0, payloadOffset: 5 };
    if (packetType === 1) return { codec, isConfig: false, isKey, cts: body.length >= 8 ? int24(body, 5) : 0, payloadOffset: 8 };
    if (packetType === 3) return { codec, isConfig: false, isKey, cts: 0, payloadOffset: 5 };
    return { codec, isConfig: false, isKey: false, cts: 0, payloadOffset: body.length };
  }
  const codecId = body[0] & 0x0f;
  const codec: VideoCodecId | null = codecId === 7 ? 'avc' : codecId === 12 ? 'hevc' : null;
  if (body.length < 5) return { codec, isConfig: false, isKey: false, cts: 0, payloadOffset: body.length };
  const packetType = body[1];
  if (packetType === 0) return { codec, isConfig: true, isKey: false, cts: 0, payloadOffset: 5 };
  if (packetType === 2) return { codec, isConfig: false, isKey: false, cts: 0, payloadOffset: body.length }; // end of sequence
  return { codec, isConfig: false, isKey, cts: int24(body, 2), payloadOffset: 5 };
}

export interface AudioTagInfo {
  codec: AudioCodecId | null;
  /** AAC AudioSpecificConfig. */
  isConfig: boolean;
  payloadOffset: number;
  /** From the tag header; AAC's real values come from its AudioSpecificConfig. */
  sampleRate: number;
  channels: number;
}

const FLV_RATES = [5512, 11025, 22050, 44100];

export function parseAudioTag(body: Buffer): AudioTagInfo {
  if (body.length < 1) return { codec: null, isConfig: false, payloadOffset: 0, sampleRate: 0, channels: 0 };
  const format = body[0] >> 4;
  const sampleRate = FLV_RATES[(body[0] >> 2) & 0x03];
  const channels = (body[0] & 0x01) + 1;
  if (format === 10) {
    return { codec: 'aac', isConfig: body.length >= 2 && body[1] === 0, payloadOffset: 2, sampleRate, channels };
  }
  if (format === 2 || format === 14) return { codec: 'mp3', isConfig: false, payloadOffset: 1, sampleRate: format === 14 ? 8000 : sampleRate, channels };
  return { codec: null, isConfig: false, payloadOffset: 1, sampleRate, channels };
}

/** True for a packet that starts a GOP: a video keyframe (not a configuration record). */
export function isVideoKeyframe(p: MediaPacket): boolean {
  if (p.type !== TAG_VIDEO) return false;
  const info = parseVideoTag(p.data);
  return info.isKey && !info.isConfig;
}

/** True for a codec configuration record (video or AAC). */
export function isConfigPacket(p: MediaPacket): boolean {
  return p.type === TAG_VIDEO ? parseVideoTag(p.data).isConfig : parseAudioTag(p.data).isConfig;
}

/** The 9-byte FLV header and the first PreviousTagSize (0). */
export function flvFileHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const b = Buffer.alloc(13);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

/** One FLV tag (header, body, PreviousTagSize) at a timestamp in ms. */
export function flvTag(type: number, timestampMs: number, body: Buffer): Buffer {
  const out = Buffer.alloc(11 + body.length + 4);
  const ts = Math.max(0, Math.round(timestampMs)) >>> 0;
  out[0] = type;
  out.writeUIntBE(body.length, 1, 3);
  out.writeUIntBE(ts & 0xffffff, 4, 3);
  out[7] = (ts >>> 24) & 0xff;
  body.copy(out, 11);
  out.writeUInt32BE(11 + body.length, 11 + body.length);
  return out;
}

/** Reads the tags of an FLV byte run (after the file header): for tests and tools. */
export function* readFlvTags(buf: Buffer, from = 13): Generator<{ type: number; timestampMs: number; body: Buffer }> {
  let at = from;
  while (at + 11 <= buf.length) {
    const type = buf[at];
    const size = buf.readUIntBE(at + 1, 3);
    const ts = buf.readUIntBE(at + 4, 3) | (buf[at + 7] << 24);
    if (at + 11 + size > buf.length) return;
    yield { type, timestampMs: ts >>> 0, body: buf.subarray(at + 11, at + 11 + size) };
    at += 11 + size + 4;
  }
}

/** Appends FLV tags into one growing buffer: a copy per packet, no allocation per tag. */
export class FlvTagBuffer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private used = 0;

  get byteLength(): number {
    return this.used;
  }

  append(type: number, timestampMs: number, body: Uint8Array): void {
    const need = this.used + 11 + body.byteLength + 4;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    const b = this.buf;
    const at = this.used;
    const ts = Math.max(0, Math.round(timestampMs)) >>> 0;
    b[at] = type;
    b.writeUIntBE(body.byteLength, at + 1, 3);
    b.writeUIntBE(ts & 0xffffff, at + 4, 3);
    b[at + 7] = (ts >>> 24) & 0xff;
    b.writeUIntBE(0, at + 8, 3);
    b.set(body, at + 11);
    b.writeUInt32BE(11 + body.byteLength, at + 11 + body.byteLength);
    this.used = need;
  }

  /**
   * Writes the tags so far and starts empty again in the same buffer: every
   * recorded FLV byte passes through here, and a fresh buffer per write was a
   * steady stream of garbage for the collector.
   */
  async writeTo(write: (bytes: Buffer) => Promise<unknown>): Promise<void> {
    if (this.used === 0) return;
    await write(this.buf.subarray(0, this.used));
    this.used = 0;
  }
}
