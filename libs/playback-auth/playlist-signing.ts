import { posix } from 'node:path';
import { signedQuery } from './url-signature.js';

/** The object key a playlist's relative URI names, or null for absolute URLs and keys outside the storage root. */
export function resolveKey(playlistKey: string, uri: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(uri.split(/[?#]/, 1)[0]);
  } catch {
    return null;
  }
  const key = posix.normalize(posix.join(posix.dirname(playlistKey), decoded));
  return key.startsWith('../') || key === '..' ? null : key;
}

function withQuery(uri: string, query: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
}

/**
 * A playlist with every relative URI it references (segments, init segments in
 * EXT-X-MAP, variant playlists) signed until the same expiry, so a player that was
 * given one signed playlist URL can fetch what it lists: players do not carry a
 * playlist's query string over to the URIs inside it.
 */
export function signPlaylist(text: string, playlistKey: string, secret: string, expiresSec: number): string {
  const sign = (uri: string) => {
    const key = resolveKey(playlistKey, uri);
    return key === null ? uri : withQuery(uri, signedQuery(secret, key, expiresSec));
  };
  return text.split('\n').map((line) => {
    const trimmed = line.trim();
    if (!trimmed) return line;
    if (trimmed.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${sign(uri)}"`);
    return sign(trimmed);
  }).join('\n');
}
