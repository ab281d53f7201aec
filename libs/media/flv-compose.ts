// Joins FLV parts (the tags of consecutive segments, each opening with the
// stream's configuration records) into one FLV file: the header once, each
// configuration record only when it changes, timestamps starting at zero.
// Appending only: no packet is parsed beyond its tag header.
import { open, type FileHandle } from 'node:fs/promises';
import { TAG_AUDIO, TAG_VIDEO, flvFileHeader, isConfigPacket, readFlvTags } from './flv-tags.js';

export interface ComposeResult {
  videoTags: number;
  audioTags: number;
  durationMs: number;
}

/** Tags per writev call: bounded, well under the platform's IOV_MAX (1024). */
const RUNS_PER_WRITE = 512;

/**
 * Writes `output` from the parts, read one at a time through `readPart` (local spool or storage).
 * Each part buffer is rewritten in place (timestamps rebased) and written as runs of its own
 * bytes: at finalize every recorded FLV byte passes through here, and a copy per tag was the
 * largest source of garbage in the recorder. `readPart` must hand over buffers nobody else uses.
 */
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
      // Runs of consecutive kept tags, as [start, end) offsets in the part.
      const runs: Buffer[] = [];
      let runStart = -1;
      let runEnd = -1;
      let at = 0;
      while (at + 11 <= part.length) {
        const type = part[at];
        const size = part.readUIntBE(at + 1, 3);
        const end = at + 11 + size + 4;
        if (end > part.length) break; // an incomplete last tag is left out, as readFlvTags does
        const tsIn = (part.readUIntBE(at + 4, 3) | (part[at + 7] << 24)) >>> 0;
        let keep = false;
        if (type === TAG_AUDIO || type === TAG_VIDEO) {
          keep = true;
          const body = part.subarray(at + 11, at + 11 + size);
          if (isConfigPacket({ type, dts: tsIn, data: body })) {
            const prev = lastConfig.get(type);
            if (prev && prev.equals(body)) keep = false;
            else lastConfig.set(type, Buffer.from(body));
          } else if (type === TAG_VIDEO) result.videoTags++;
          else result.audioTags++;
        }
        if (keep) {
          base ??= tsIn;
          const ts = Math.max(0, tsIn - base);
          lastTs = Math.max(lastTs, ts);
          part.writeUIntBE(ts & 0xffffff, at + 4, 3);
          part[at + 7] = (ts >>> 24) & 0xff;
          if (runEnd === at) runEnd = end;
          else {
            if (runStart >= 0) runs.push(part.subarray(runStart, runEnd));
            runStart = at;
            runEnd = end;
          }
        }
        at = end;
      }
      if (runStart >= 0) runs.push(part.subarray(runStart, runEnd));
      for (let r = 0; r < runs.length; r += RUNS_PER_WRITE) await writeAll(out, runs.slice(r, r + RUNS_PER_WRITE));
    }
    result.durationMs = lastTs;
    return result;
  } finally {
    await out.close();
  }
}

/** writev may write less than asked (like write): the rest is written until every byte is. */
async function writeAll(out: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    let { bytesWritten } = await out.writev(pending);
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (bytesWritten >= b.length) bytesWritten -= b.length;
      else {
        rest.push(b.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    pending = rest;
  }
}
