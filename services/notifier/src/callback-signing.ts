import { createHmac, timingSafeEqual } from 'node:crypto';

// Callback signature: X-LiveRecord-Timestamp is the send time in Unix seconds,
// X-LiveRecord-Signature is hex HMAC-SHA256 keyed with the domain's auth key over
// "{timestamp}.{body}". A receiver recomputes it and rejects old timestamps.

export const HEADER_ID = 'x-liverecord-id';
export const HEADER_TIMESTAMP = 'x-liverecord-timestamp';
export const HEADER_SIGNATURE = 'x-liverecord-signature';

export function signCallback(authKey: string, timestamp: number, body: string): string {
  return createHmac('sha256', authKey).update(`${timestamp}.${body}`).digest('hex');
}

/** What a receiver does: true when the signature matches and the timestamp is fresh. */
export function verifyCallback(authKey: string, timestamp: string, signature: string, body: string, nowSec: number, maxSkewSec = 300): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > maxSkewSec) return false;
  const want = Buffer.from(signCallback(authKey, ts, body), 'hex');
  const got = Buffer.from(signature, 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}
