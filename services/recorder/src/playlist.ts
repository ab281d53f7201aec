// HLS playlist of one finalized file, composed from its segments. Pure.
import { relativeKey } from '../../../libs/naming/index.js';

export interface PlaylistSegment {
  objectKey: string;
  /** Absolute URL when the segment lives in another bucket than the playlist. */
  url?: string;
  startMs: number;
  durationMs: number;
  discontinuity: boolean;
}

export interface PlaylistOptions {
  playlistKey: string;
  segments: PlaylistSegment[];
  /** fMP4 segments: the init segment's key, referenced by EXT-X-MAP. */
  initKey?: string;
}

function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function composePlaylist(opts: PlaylistOptions): string {
  const { segments } = opts;
  if (segments.length === 0) throw new Error('a playlist needs at least one segment');
  const target = Math.max(1, ...segments.map((s) => Math.ceil(s.durationMs / 1000)));
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${opts.initKey ? 7 : 3}`,
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  if (opts.initKey) lines.push(`#EXT-X-MAP:URI="${relativeKey(opts.playlistKey, opts.initKey)}"`);
  segments.forEach((seg, i) => {
    if (i > 0 && seg.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (i === 0 || seg.discontinuity) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${isoMs(seg.startMs)}`);
    lines.push(`#EXTINF:${(seg.durationMs / 1000).toFixed(3)},`);
    lines.push(seg.url ?? relativeKey(opts.playlistKey, seg.objectKey));
  });
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}
