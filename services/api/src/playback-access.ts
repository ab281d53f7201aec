import type { IncomingMessage } from 'node:http';
import { checkSignature } from '../../../libs/playback-auth/index.js';
import type { ApiKeyStore } from './auth/api-key-store.js';
import { scopeAllows } from './auth/scopes.js';

export interface PlaybackAccess {
  /** HMAC key of signed playback URLs. */
  secret: string;
  /** Lifetime of the signatures put into a playlist served to a key holder. */
  ttlSeconds: number;
  /** API keys: a `read` key in `authorization: Bearer` also opens recordings. */
  keys: ApiKeyStore | null;
}

export type AccessVerdict = { ok: true; expiresSec: number } | { ok: false; status: 401 | 403; reason: string };

/** Whether a request may read one object: a valid, unexpired signature for exactly this key, or a read API key. */
export async function authorizePlayback(req: IncomingMessage, objectKey: string, access: PlaybackAccess, nowSec = Math.floor(Date.now() / 1000)): Promise<AccessVerdict> {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    const key = m && access.keys ? await access.keys.verify(m[1]) : null;
    if (!key) return { ok: false, status: 401, reason: 'unknown or revoked API key' };
    if (!scopeAllows(key.scope, 'read')) return { ok: false, status: 403, reason: 'the API key cannot read' };
    return { ok: true, expiresSec: nowSec + access.ttlSeconds };
  }
  const query = new URLSearchParams((req.url ?? '').split('?').slice(1).join('?').split('#', 1)[0]);
  const v = checkSignature(access.secret, objectKey, query, nowSec);
  if (v.ok) return v;
  if (v.reason === 'missing') return { ok: false, status: 401, reason: 'a signed URL (expires, signature) or a read API key is required' };
  return { ok: false, status: 403, reason: `signed URL ${v.reason}` };
}
