// Signed playback URLs: `?expires={unix seconds}&signature={hex HMAC-SHA256(key, "{object key}\n{expires}")}`.
// The object key is the decoded path without its leading slash, so the signature does
// not depend on how a client escapes it; the expiry is inside the MAC, so it cannot be moved.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const EXPIRES_PARAM = 'expires';
export const SIGNATURE_PARAM = 'signature';

export function signature(secret: string, objectKey: string, expiresSec: number): string {
  return createHmac('sha256', secret).update(`${objectKey}\n${expiresSec}`).digest('hex');
}

/** The query string (without '?') that authorizes one object until `expiresSec`. */
export function signedQuery(secret: string, objectKey: string, expiresSec: number): string {
  return `${EXPIRES_PARAM}=${expiresSec}&${SIGNATURE_PARAM}=${signature(secret, objectKey, expiresSec)}`;
}

export type SignatureCheck = { ok: true; expiresSec: number } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid' };

export function checkSignature(secret: string, objectKey: string, query: URLSearchParams, nowSec: number): SignatureCheck {
  const exp = query.get(EXPIRES_PARAM);
  const sig = query.get(SIGNATURE_PARAM);
  if (exp === null && sig === null) return { ok: false, reason: 'missing' };
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'malformed' };
  const expiresSec = Number(exp);
  const want = Buffer.from(signature(secret, objectKey, expiresSec), 'hex');
  // The MAC first: an expired URL is told apart only when it was genuine.
  if (!timingSafeEqual(want, Buffer.from(sig, 'hex'))) return { ok: false, reason: 'invalid' };
  if (expiresSec < nowSec) return { ok: false, reason: 'expired' };
  return { ok: true, expiresSec };
}

/**
 * A stored object's public URL with a signature appended, when the URL is one this
 * deployment serves (under `publicBaseUrl`); other URLs (object storage) are returned unchanged.
 */
export function signPublicUrl(secret: string, publicBaseUrl: string, url: string, expiresSec: number): string {
  if (!url.startsWith(publicBaseUrl)) return url;
  const rest = url.slice(publicBaseUrl.length).split(/[?#]/, 1)[0];
  let key: string;
  try {
    key = decodeURIComponent(rest);
  } catch {
    return url; // not a key this server could serve either
  }
  return `${publicBaseUrl}${rest}?${signedQuery(secret, key, expiresSec)}`;
}
