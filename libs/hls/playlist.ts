// HLS playlist of one finalized file, composed from its segments. Pure.
import { relativeKey } from '../naming/index.js';

export interface PlaylistSegment {
  objectKey: string;
  /** Absolute URL when the segment lives in another bucket than the playlist. */
  url?: string;
  startMs: number;
  durationMs: number;
  discontinuity: boolean;
  /** fMP4 segments: the init segment's key, referenced by EXT-X-MAP. */
  initKey?: string;
}

export interface PlaylistOptions {
  playlistKey: string;
  segments: PlaylistSegment[];
}

function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function composePlaylist(opts: PlaylistOptions): string {
  const { segments } = opts;
  if (segments.length === 0) throw new Error('a playlist needs at least one segment');
  // A loop, not a spread: a long clip has more segments than a call may take arguments.
  let target = 1;
  for (const s of segments) target = Math.max(target, Math.ceil(s.durationMs / 1000));
  const fmp4 = segments.some((s) => s.initKey);
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${fmp4 ? 7 : 3}`,
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  let currentInit: string | undefined;
  segments.forEach((seg, i) => {
    if (i > 0 && seg.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (seg.initKey && seg.initKey !== currentInit) {
      lines.push(`#EXT-X-MAP:URI="${relativeKey(opts.playlistKey, seg.initKey)}"`);
      currentInit = seg.initKey;
    }
    if (i === 0 || seg.discontinuity) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${isoMs(seg.startMs)}`);
    lines.push(`#EXTINF:${(seg.durationMs / 1000).toFixed(3)},`);
    lines.push(seg.url ?? relativeKey(opts.playlistKey, seg.objectKey));
  });
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}
