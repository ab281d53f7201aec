// Annex-B elementary streams (start codes) from what FLV carries: a decoder configuration
// record (avcC / hvcC) and a frame of length-prefixed NAL units. ffmpeg's raw h264/hevc
// demuxers read this, so one keyframe decodes on its own.

const START_CODE = Buffer.from([0, 0, 0, 1]);

function take(buf: Buffer, at: number, length: number, what: string): Buffer {
  if (at + length > buf.length) throw new Error(`${what} ends early`);
  return buf.subarray(at, at + length);
}

/** Parameter sets (SPS, PPS) and NAL length size of an AVCDecoderConfigurationRecord. */
export function avcParameterSets(record: Buffer): { nalLengthSize: number; sets: Buffer[] } {
  if (record.length < 7 || record[0] !== 1) throw new Error('not an AVC decoder configuration record');
  const nalLengthSize = (record[4] & 0x03) + 1;
  const sets: Buffer[] = [];
  let at = 5;
  for (const countMask of [0x1f, 0xff]) {
    const count = take(record, at, 1, 'avcC')[0] & countMask;
    at += 1;
    for (let i = 0; i < count; i++) {
      const length = take(record, at, 2, 'avcC').readUInt16BE(0);
      sets.push(take(record, at + 2, length, 'avcC parameter set'));
      at += 2 + length;
    }
  }
  return { nalLengthSize, sets };
}

/** Parameter sets (VPS, SPS, PPS, ...) and NAL length size of an HEVCDecoderConfigurationRecord. */
export function hevcParameterSets(record: Buffer): { nalLengthSize: number; sets: Buffer[] } {
  if (record.length < 23 || record[0] !== 1) throw new Error('not an HEVC decoder configuration record');
  const nalLengthSize = (record[21] & 0x03) + 1;
  const arrays = record[22];
  const sets: Buffer[] = [];
  let at = 23;
  for (let a = 0; a < arrays; a++) {
    const count = take(record, at + 1, 2, 'hvcC').readUInt16BE(0);
    at += 3;
    for (let i = 0; i < count; i++) {
      const length = take(record, at, 2, 'hvcC').readUInt16BE(0);
      sets.push(take(record, at + 2, length, 'hvcC parameter set'));
      at += 2 + length;
    }
  }
  return { nalLengthSize, sets };
}

/** The NAL units of a frame of length-prefixed NAL units. */
export function lengthPrefixedNals(frame: Buffer, nalLengthSize: number): Buffer[] {
  const nals: Buffer[] = [];
  let at = 0;
  while (at < frame.length) {
    const header = take(frame, at, nalLengthSize, 'NAL length');
    const length = header.readUIntBE(0, nalLengthSize);
    nals.push(take(frame, at + nalLengthSize, length, 'NAL unit'));
    at += nalLengthSize + length;
  }
  return nals;
}

/** One self-contained Annex-B access unit: the parameter sets, then the frame's NAL units. */
export function annexBKeyframe(codec: 'avc' | 'hevc', record: Buffer, frame: Buffer): Buffer {
  const { nalLengthSize, sets } = codec === 'avc' ? avcParameterSets(record) : hevcParameterSets(record);
  const nals = [...sets, ...lengthPrefixedNals(frame, nalLengthSize)];
  return Buffer.concat(nals.flatMap((n) => [START_CODE, n]));
}
