// Reads FLV tags from a byte stream that arrives in chunks of any size (an
// encoder's stdout): the file header is checked and skipped, each complete tag
// is handed out with its timestamp, a partial one waits for the next chunk.

export interface FlvStreamTag {
  /** 8 audio, 9 video, 18 script data. */
  type: number;
  /** Timestamp in ms (the 24-bit field and its extension byte). */
  timestampMs: number;
  /** The tag body (a copy: the caller may keep it). */
  body: Buffer;
}

const FILE_HEADER = 9 + 4;
const TAG_HEADER = 11;
/** Longest tag body accepted: FLV's 24-bit size field allows 16 MiB. */
const MAX_BODY = 0xffffff;

export class FlvFormatError extends Error {}

export class FlvStreamReader {
  private pending: Buffer = Buffer.alloc(0);
  private headerSeen = false;

  /** Adds a chunk; returns the tags it completed, in order. */
  push(chunk: Buffer): FlvStreamTag[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: FlvStreamTag[] = [];
    let at = 0;
    if (!this.headerSeen) {
      if (this.pending.length < FILE_HEADER) return out;
      if (this.pending.toString('latin1', 0, 3) !== 'FLV') throw new FlvFormatError('not an FLV stream (no FLV signature)');
      const headerSize = this.pending.readUInt32BE(5);
      if (headerSize < 9 || headerSize > 64) throw new FlvFormatError(`FLV header size ${headerSize} is not plausible`);
      if (this.pending.length < headerSize + 4) return out;
      at = headerSize + 4;
      this.headerSeen = true;
    }
    while (at + TAG_HEADER <= this.pending.length) {
      const type = this.pending[at] & 0x1f;
      const size = this.pending.readUIntBE(at + 1, 3);
      if (size > MAX_BODY) throw new FlvFormatError(`FLV tag of ${size} bytes`);
      const end = at + TAG_HEADER + size + 4;
      if (end > this.pending.length) break;
      const ts = (this.pending.readUIntBE(at + 4, 3) | (this.pending[at + 7] << 24)) >>> 0;
      out.push({ type, timestampMs: ts, body: Buffer.from(this.pending.subarray(at + TAG_HEADER, at + TAG_HEADER + size)) });
      at = end;
    }
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
    return out;
  }

  /** Bytes of an incomplete tag still waiting: non-zero at the stream's end means it was cut. */
  get leftover(): number {
    return this.pending.length;
  }
}
