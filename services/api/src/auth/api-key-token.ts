// The shape of an API key: `lrk_{id}_{secret}`. The id is public (logs, audit events,
// ListApiKeys) and finds the stored record; only the SHA-256 of the secret is stored.
// A plain hash suffices (no slow KDF): the secret is 256 random bits, not a password.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ParsedKey {
  id: string;
  secret: string;
}

const TOKEN = /^lrk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function newKey(): { id: string; secret: string; token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `lrk_${id}_${secret}` };
}

export function parseKey(token: string): ParsedKey | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
