// Merges the m3u8 playlists of a recording's cycle files into one VOD playlist
// over the same segments (nothing is copied); a join where the timestamps break is
// marked #EXT-X-DISCONTINUITY. Pure.
import { posix } from 'node:path';

/** Tags that describe a whole playlist: the merge writes its own. */
const PLAYLIST_TAGS = /^#(EXTM3U|EXT-X-VERSION|EXT-X-TARGETDURATION|EXT-X-MEDIA-SEQUENCE|EXT-X-PLAYLIST-TYPE|EXT-X-ENDLIST|EXT-X-INDEPENDENT-SEGMENTS|EXT-X-DISCONTINUITY-SEQUENCE)\b/;

export interface PlaylistSource {
  /** The playlist's object key: its relative URIs are relative to its folder. */
  key: string;
  text: string;
}

export interface MergedPlaylist {
  text: string;
  segmentCount: number;
  durationMs: number;
  /** Joins of two sources marked #EXT-X-DISCONTINUITY (a timestamp break between them). */
  joinBreaks: number;
}

/**
 * How far apart (ms) one file's end and the next file's start may be and still be one
 * continuous stream: the same tolerance as the catalogue's (services/index CONTINUITY_TOLERANCE_MS).
 */
export const JOIN_TOLERANCE_MS = 1000;

/**
 * A playlist's wall-clock span from its #EXT-X-PROGRAM-DATE-TIME tags (the recorder writes
 * one before the first segment and after every discontinuity): where its first segment
 * starts and where its last one ends; null where it cannot tell.
 */
export function playlistSpan(text: string): { startMs: number | null; endMs: number | null } {
  let startMs: number | null = null;
  let at: number | null = null;
  let segments = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const pdt = /^#EXT-X-PROGRAM-DATE-TIME:(.+)$/.exec(line);
    if (pdt) {
      const ms = Date.parse(pdt[1]);
      at = Number.isNaN(ms) ? null : ms;
      if (segments === 0) startMs = at;
      continue;
    }
    const inf = /^#EXTINF:([0-9.]+)/.exec(line);
    if (inf) {
      if (at !== null) at += Math.round(Number(inf[1]) * 1000);
      continue;
    }
    if (!line.startsWith('#')) segments++;
  }
  return { startMs, endMs: at };
}

function isAbsolute(uri: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/');
}

/** A URI of `fromKey`'s playlist, rewritten for a playlist stored at `toKey`. */
export function rebaseUri(uri: string, fromKey: string, toKey: string): string {
  if (isAbsolute(uri)) return uri;
  const target = posix.normalize(posix.join(posix.dirname(fromKey), uri));
  return posix.relative(posix.dirname(toKey), target) || posix.basename(target);
}

function rebaseTag(line: string, fromKey: string, toKey: string): string {
  // #EXT-X-MAP:URI="init.mp4" and the like.
  return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${rebaseUri(uri, fromKey, toKey)}"`);
}

export function mergePlaylists(sources: PlaylistSource[], targetKey: string): MergedPlaylist {
  let version = 3;
  let target = 1;
  let durationMs = 0;
  let segmentCount = 0;
  let joinBreaks = 0;
  const body: string[] = [];
  let previousEnd: number | null = null;
  for (const [i, src] of sources.entries()) {
    const span = playlistSpan(src.text);
    // The cycle files of one continuous recording are cut from one stream: their timestamps
    // run on across a join, and a #EXT-X-DISCONTINUITY there would only make players reset
    // their timeline (hls.js realigns, Safari and ExoPlayer reinitialise decoders: a
    // hiccup at every cycle). Where the next file does not start where the previous ended
    // (the publisher went away and came back within the recording, whose timestamps
    // restart), or either side has no program date-time to tell, the join is marked,
    // as the catalogue's clip playlists mark a gap between records.
    if (i > 0 && (previousEnd === null || span.startMs === null || Math.abs(span.startMs - previousEnd) > JOIN_TOLERANCE_MS)) {
      body.push('#EXT-X-DISCONTINUITY');
      joinBreaks++;
    }
    previousEnd = span.endMs;
    for (const raw of src.text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line) continue;
      const v = /^#EXT-X-VERSION:(\d+)/.exec(line);
      if (v) version = Math.max(version, Number(v[1]));
      const t = /^#EXT-X-TARGETDURATION:(\d+)/.exec(line);
      if (t) target = Math.max(target, Number(t[1]));
      if (PLAYLIST_TAGS.test(line)) continue;
      if (line.startsWith('#')) {
        const inf = /^#EXTINF:([0-9.]+)/.exec(line);
        if (inf) durationMs += Math.round(Number(inf[1]) * 1000);
        body.push(rebaseTag(line, src.key, targetKey));
        continue;
      }
      body.push(rebaseUri(line, src.key, targetKey));
      segmentCount++;
    }
  }
  const header = ['#EXTM3U', `#EXT-X-VERSION:${version}`, `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  return { text: `${[...header, ...body, '#EXT-X-ENDLIST'].join('\n')}\n`, segmentCount, durationMs, joinBreaks };
}

/** The segment URIs of a playlist (and init segments of #EXT-X-MAP), as object keys next to it. */
export function playlistObjectKeys(text: string, key: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      for (const m of line.matchAll(/URI="([^"]*)"/g)) if (!isAbsolute(m[1])) out.push(posix.normalize(posix.join(posix.dirname(key), m[1])));
      continue;
    }
    if (!isAbsolute(line)) out.push(posix.normalize(posix.join(posix.dirname(key), line)));
  }
  return out;
}
