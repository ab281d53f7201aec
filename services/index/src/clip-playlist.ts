// The playlist of a created index file, written row by row as the catalogue yields
// the segments. A 4-day clip lists ~11 k segments and a long merge can list a million:
// holding them as rows, playlist objects and lines (libs/hls composePlaylist) kept
// megabytes of small objects alive through the young-generation collections, which
// were most of the request's tail latency. Here each row is garbage as soon as its
// lines are in the (off-heap) buffer. The text is the same as composePlaylist's for
// these segments (tested); that stays the writer of the recorder's playlists.
import { relativeKey } from '../../../libs/naming/index.js';
import type { ClipSegment } from './catalogue-schema.js';
import { CONTINUITY_TOLERANCE_MS } from './index-file.js';

export interface ClipPlaylist {
  body: Buffer;
  segments: number;
  discontinuities: number;
  durationMs: number;
  firstRecordingId: string;
  startMs: number;
  /** End of the last segment listed (the clip's end). */
  endMs: number;
  /** The furthest segment end: with startMs, the span every listed segment lies in. */
  spanEndMs: number;
}

/**
 * The URI of each key as seen from the playlist: relative paths differ only by folder, so
 * one relativeKey per folder (a recording's segments share one) instead of one per segment.
 */
function relativeUris(playlistKey: string): (key: string) => string {
  let lastFolder = '';
  let lastPrefix = '';
  const prefixByFolder = new Map<string, string>();
  return (key) => {
    const slash = key.lastIndexOf('/');
    const folder = key.slice(0, slash + 1);
    if (folder !== lastFolder) {
      let prefix = prefixByFolder.get(folder);
      if (prefix === undefined) {
        const rel = relativeKey(playlistKey, key);
        prefix = rel.slice(0, rel.length - (key.length - slash - 1));
        prefixByFolder.set(folder, prefix);
      }
      lastFolder = folder;
      lastPrefix = prefix;
    }
    return lastPrefix + key.slice(slash + 1);
  };
}

/**
 * The working buffer of a finished writer, lent to the next one: a growing buffer of its
 * own per clip was most of the external memory that set off full collections.
 */
let spare: Buffer | null = null;

/**
 * A VOD m3u8 of segments added in time order: relative keys for segments in the
 * playlist's own target, their URL otherwise (`url` not null); a break between
 * recordings, at a marked discontinuity or over a gap gets #EXT-X-DISCONTINUITY and a
 * program date-time.
 */
export class ClipPlaylistWriter {
  private buf: Buffer;
  private len = 0;
  private readonly uriOf: (key: string) => string;
  private targetSeconds = 1;
  private prevRecording = '';
  private prevEnd = 0;
  private readonly out: Omit<ClipPlaylist, 'body'> = { segments: 0, discontinuities: 0, durationMs: 0, firstRecordingId: '', startMs: 0, endMs: 0, spanEndMs: 0 };

  constructor(playlistKey: string) {
    this.uriOf = relativeUris(playlistKey);
    this.buf = spare ?? Buffer.allocUnsafe(256 * 1024);
    spare = null;
  }

  add(r: ClipSegment): void {
    const o = this.out;
    const first = o.segments === 0;
    const discontinuity = !first && (r.recording_id !== this.prevRecording || r.discontinuity === 1 || r.start_ms - this.prevEnd > CONTINUITY_TOLERANCE_MS);
    if (first) {
      o.firstRecordingId = r.recording_id;
      o.startMs = r.start_ms;
      o.spanEndMs = r.end_ms;
    }
    if (discontinuity) {
      o.discontinuities++;
      this.write('#EXT-X-DISCONTINUITY\n');
    }
    if (first || discontinuity) this.write(`#EXT-X-PROGRAM-DATE-TIME:${new Date(r.start_ms).toISOString()}\n`);
    this.write(`#EXTINF:${(r.duration_ms / 1000).toFixed(3)},\n${r.url ?? this.uriOf(r.object_key)}\n`);
    const seconds = Math.ceil(r.duration_ms / 1000);
    if (seconds > this.targetSeconds) this.targetSeconds = seconds;
    if (r.end_ms > o.spanEndMs) o.spanEndMs = r.end_ms;
    o.segments++;
    o.durationMs += r.duration_ms;
    o.endMs = r.end_ms;
    this.prevRecording = r.recording_id;
    this.prevEnd = r.end_ms;
  }

  get segments(): number {
    return this.out.segments;
  }

  finish(): ClipPlaylist {
    if (this.out.segments === 0) throw new Error('a playlist needs at least one segment');
    this.write('#EXT-X-ENDLIST\n');
    // The target duration is known only now: the header goes in front.
    const header = Buffer.from(`#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:${this.targetSeconds}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n`);
    const body = Buffer.concat([header, this.buf.subarray(0, this.len)]);
    if (!spare || spare.length < this.buf.length) spare = this.buf;
    return { ...this.out, body };
  }

  private write(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.len + s.length * 3 > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + s.length * 3));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.len += this.buf.write(s, this.len);
  }
}
