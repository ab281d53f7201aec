import { resolveKey } from './playlist-signing.js';
import { signedQuery } from './url-signature.js';

/**
 * A WebVTT thumbnail track with every relative image its cues name (sprite sheets,
 * `sheet.jpg#xywh=x,y,w,h`) signed until the same expiry: like a playlist's segments,
 * players fetch them without the track's own query string. The query goes before the
 * media fragment, which stays as it was.
 */
export function signThumbnailTrack(text: string, trackKey: string, secret: string, expiresSec: number): string {
  let inCue = false;
  return text.split('\n').map((line) => {
    const trimmed = line.trim();
    if (!trimmed) {
      inCue = false;
      return line;
    }
    if (trimmed.includes('-->')) {
      inCue = true;
      return line;
    }
    if (!inCue) return line;
    const hash = trimmed.indexOf('#');
    const uri = hash < 0 ? trimmed : trimmed.slice(0, hash);
    const fragment = hash < 0 ? '' : trimmed.slice(hash);
    const key = resolveKey(trackKey, uri);
    if (key === null) return line;
    return `${uri}${uri.includes('?') ? '&' : '?'}${signedQuery(secret, key, expiresSec)}${fragment}`;
  }).join('\n');
}
