// Decoder configurations for the muxer, read from the codec configuration
// records a publisher sends (AVC/HEVC decoder configuration records, AAC
// AudioSpecificConfig). Only what the containers need: codec strings and sizes.

export interface VideoTrackConfig {
  codec: 'avc' | 'hevc';
  /** WebCodecs codec string, e.g. avc1.64001f. */
  codecString: string;
  /** The decoder configuration record. */
  record: Buffer;
  width: number;
  height: number;
}

export interface AudioTrackConfig {
  codec: 'aac' | 'mp3';
  codecString: string;
  /** AudioSpecificConfig (AAC only). */
  record: Buffer | null;
  sampleRate: number;
  channels: number;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

class BitReader {
  private bit = 0;
  constructor(private readonly b: Buffer) {}
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.b[this.bit >> 3];
      if (byte === undefined) throw new Error('SPS ended early');
      v = (v << 1) | ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v >>> 0;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new Error('bad exp-Golomb code');
    return zeros === 0 ? 0 : (2 ** zeros - 1) + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Removes emulation-prevention bytes (00 00 03) from a NAL unit. */
function rbsp(nal: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i]);
  }
  return Buffer.from(out);
}

/** Picture size from an H.264 SPS (cropping applied). */
export function avcSpsSize(sps: Buffer): { width: number; height: number } {
  const r = new BitReader(rbsp(sps.subarray(1)));
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // sps id
  let chromaFormat = 1;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profile)) {
    chromaFormat = r.ue();
    if (chromaFormat === 3) r.u(1);
    r.ue();
    r.ue();
    r.u(1);
    if (r.u(1)) {
      for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
        if (!r.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue();
  r.u(1);
  const wMbs = r.ue() + 1;
  const hMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (!frameMbsOnly) r.u(1);
  r.u(1);
  let width = wMbs * 16;
  let height = (2 - frameMbsOnly) * hMapUnits * 16;
  if (r.u(1)) {
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    const cropX = chromaFormat === 0 || chromaFormat === 3 ? 1 : 2;
    const cropY = (chromaFormat === 1 ? 2 : 1) * (2 - frameMbsOnly);
    width -= (left + right) * cropX;
    height -= (top + bottom) * cropY;
  }
  return { width, height };
}

/** From an AVCDecoderConfigurationRecord: codec string and picture size. */
export function avcTrackConfig(record: Buffer, fallback: { width: number; height: number }): VideoTrackConfig {
  if (record.length < 7 || record[0] !== 1) throw new Error('malformed AVC decoder configuration record');
  const codecString = `avc1.${hex2(record[1])}${hex2(record[2])}${hex2(record[3])}`;
  let size = fallback;
  const spsCount = record[5] & 0x1f;
  if (spsCount > 0 && record.length >= 8) {
    const len = record.readUInt16BE(6);
    try {
      size = avcSpsSize(record.subarray(8, 8 + len));
    } catch {
      // Keep the publisher's metadata size: containers only use it as a hint.
    }
  }
  return { codec: 'avc', codecString, record, width: size.width || 1280, height: size.height || 720 };
}

/** From an HEVCDecoderConfigurationRecord: the codec string (size from the publisher's metadata). */
export function hevcTrackConfig(record: Buffer, fallback: { width: number; height: number }): VideoTrackConfig {
  if (record.length < 23) throw new Error('malformed HEVC decoder configuration record');
  const profileSpace = ['', 'A', 'B', 'C'][record[1] >> 6];
  const tier = record[1] & 0x20 ? 'H' : 'L';
  const profile = record[1] & 0x1f;
  const compat = record.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) if (compat & (1 << i)) reversed |= 1 << (31 - i);
  const level = record[12];
  const constraints: string[] = [];
  for (let i = 6; i < 12; i++) constraints.push(record[i].toString(16).toUpperCase());
  while (constraints.length > 1 && constraints[constraints.length - 1] === '0') constraints.pop();
  const codecString = `hvc1.${profileSpace}${profile}.${(reversed >>> 0).toString(16).toUpperCase()}.${tier}${level}.${constraints.join('.')}`;
  return { codec: 'hevc', codecString, record, width: fallback.width || 1920, height: fallback.height || 1080 };
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** From an AudioSpecificConfig: object type, sample rate, channels. */
export function aacTrackConfig(asc: Buffer): AudioTrackConfig {
  if (asc.length < 2) throw new Error('malformed AAC AudioSpecificConfig');
  const objectType = asc[0] >> 3;
  const rateIndex = ((asc[0] & 0x07) << 1) | (asc[1] >> 7);
  const channels = (asc[1] >> 3) & 0x0f;
  const sampleRate = rateIndex === 15 && asc.length >= 5 ? ((asc.readUInt32BE(1) >>> 7) & 0xffffff) : AAC_RATES[rateIndex] ?? 44100;
  return { codec: 'aac', codecString: `mp4a.40.${objectType}`, record: asc, sampleRate, channels: channels || 2 };
}

export function mp3TrackConfig(sampleRate: number, channels: number): AudioTrackConfig {
  return { codec: 'mp3', codecString: 'mp3', record: null, sampleRate: sampleRate || 44100, channels: channels || 2 };
}
