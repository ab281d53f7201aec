// "Type A" signed URLs as the cloud vendors' live services use them:
//   auth_key={expiry}-{rand}-{uid}-{md5("/{app}/{stream}-{expiry}-{rand}-{uid}-{key}")}
// expiry in Unix seconds; rand and uid are chosen by the signer (uid 0 when unused).
// MD5 is the format's, not a choice: encoders and vendor tooling produce exactly this.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type RefusalReason = 'missing' | 'malformed' | 'expired' | 'tampered' | 'no_key';

export type Verdict = { ok: true; keyUsed: 'primary' | 'secondary' } | { ok: false; reason: RefusalReason };

const AUTH_KEY = /^(\d{1,12})-([0-9A-Za-z]{1,64})-([0-9A-Za-z_]{1,64})-([0-9a-fA-F]{32})$/;

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

export function signAuthKey(app: string, stream: string, key: string, expiresSec: number, rand = randomBytes(8).toString('hex'), uid = '0'): string {
  return `${expiresSec}-${rand}-${uid}-${md5(`/${app}/${stream}-${expiresSec}-${rand}-${uid}-${key}`)}`;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'hex');
  const y = Buffer.from(b.toLowerCase(), 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks an auth_key value against the domain's keys (a secondary key is accepted during rotation). */
export function verifyAuthKey(app: string, stream: string, authKey: string | undefined, keys: { primary: string; secondary: string }, nowSec: number): Verdict {
  if (!keys.primary && !keys.secondary) return { ok: false, reason: 'no_key' };
  if (authKey === undefined || authKey === '') return { ok: false, reason: 'missing' };
  const m = AUTH_KEY.exec(authKey);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, expiry, rand, uid, hash] = m;
  if (Number(expiry) < nowSec) return { ok: false, reason: 'expired' };
  for (const which of ['primary', 'secondary'] as const) {
    const key = keys[which];
    if (key && sameHex(hash, md5(`/${app}/${stream}-${expiry}-${rand}-${uid}-${key}`))) return { ok: true, keyUsed: which };
  }
  return { ok: false, reason: 'tampered' };
}
