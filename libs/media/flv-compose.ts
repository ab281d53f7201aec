// Joins FLV parts (the tags of consecutive segments, each opening with the
// stream's configuration records) into one FLV file: the header once, each
// configuration record only when it changes, timestamps starting at zero.
// Appending only: no packet is parsed beyond its tag header.
import { open } from 'node:fs/promises';
import { TAG_AUDIO, TAG_VIDEO, flvFileHeader, isConfigPacket, readFlvTags } from './flv-tags.js';

export interface ComposeResult {
  videoTags: number;
  audioTags: number;
  durationMs: number;
}

/** Writes `output` from the parts, read one at a time through `readPart` (local spool or storage). */
export async function composeFlv(partCount: number, readPart: (index: number) => Promise<Buffer>, output: string): Promise<ComposeResult> {
  const out = await open(output, 'w');
  try {
    let hasAudio = false;
    let hasVideo = false;
    const first = await readPart(0);
    for (const t of readFlvTags(first, 0)) {
      if (t.type === TAG_AUDIO) hasAudio = true;
      if (t.type === TAG_VIDEO) hasVideo = true;
    }
    await out.write(flvFileHeader(hasAudio, hasVideo));
    let base: number | null = null;
    let lastTs = 0;
    const lastConfig = new Map<number, Buffer>();
    const result: ComposeResult = { videoTags: 0, audioTags: 0, durationMs: 0 };
    for (let i = 0; i < partCount; i++) {
      const part = i === 0 ? first : await readPart(i);
      const chunks: Buffer[] = [];
      for (const t of readFlvTags(part, 0)) {
        if (t.type !== TAG_AUDIO && t.type !== TAG_VIDEO) continue;
        const packet = { type: t.type, dts: t.timestampMs, data: t.body } as const;
        if (isConfigPacket(packet)) {
          const prev = lastConfig.get(t.type);
          if (prev && prev.equals(t.body)) continue;
          lastConfig.set(t.type, Buffer.from(t.body));
        } else if (t.type === TAG_VIDEO) result.videoTags++;
        else result.audioTags++;
        base ??= t.timestampMs;
        const ts = Math.max(0, t.timestampMs - base);
        lastTs = Math.max(lastTs, ts);
        const tag = Buffer.alloc(11 + t.body.length + 4);
        tag[0] = t.type;
        tag.writeUIntBE(t.body.length, 1, 3);
        tag.writeUIntBE(ts & 0xffffff, 4, 3);
        tag[7] = (ts >>> 24) & 0xff;
        t.body.copy(tag, 11);
        tag.writeUInt32BE(11 + t.body.length, 11 + t.body.length);
        chunks.push(tag);
      }
      await out.write(Buffer.concat(chunks));
    }
    result.durationMs = lastTs;
    return result;
  } finally {
    await out.close();
  }
}
