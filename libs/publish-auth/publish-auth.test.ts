import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTrustedAddress, signAuthKey, verifyAuthKey, withoutSecrets } from './index.js';

describe('type-A publish signatures', () => {
  const keys = { primary: 'primary-key-0123456789', secondary: 'secondary-key-0123456789' };
  const now = 1_800_000_000;
  it('accepts the primary and the secondary key, refuses the rest with a reason', () => {
    assert.deepEqual(verifyAuthKey('live', 's', signAuthKey('live', 's', keys.primary, now + 60), keys, now), { ok: true, keyUsed: 'primary' });
    assert.deepEqual(verifyAuthKey('live', 's', signAuthKey('live', 's', keys.secondary, now + 60), keys, now), { ok: true, keyUsed: 'secondary' });
    assert.deepEqual(verifyAuthKey('live', 's', undefined, keys, now), { ok: false, reason: 'missing' });
    assert.deepEqual(verifyAuthKey('live', 's', 'x-y', keys, now), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyAuthKey('live', 's', signAuthKey('live', 's', keys.primary, now - 1), keys, now), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyAuthKey('live', 's', signAuthKey('live', 'other', keys.primary, now + 60), keys, now), { ok: false, reason: 'tampered' });
    assert.deepEqual(verifyAuthKey('live', 's', signAuthKey('live', 's', 'x', now + 60), { primary: '', secondary: '' }, now), { ok: false, reason: 'no_key' });
  });
  it('matches the documented formula', () => {
    // md5("/live/s-1800000060-abc-0-primary-key-0123456789")
    const v = signAuthKey('live', 's', keys.primary, now + 60, 'abc', '0');
    assert.match(v, /^1800000060-abc-0-[0-9a-f]{32}$/);
  });
  it('knows loopback publishers and drops credentials from parameters', () => {
    assert.ok(isTrustedAddress('127.0.0.1:50000', ['loopback']));
    assert.ok(isTrustedAddress('::ffff:127.0.0.1:50000', ['loopback']));
    assert.ok(isTrustedAddress('::1:50000', ['loopback']));
    assert.ok(!isTrustedAddress('10.0.0.5:50000', ['loopback']));
    assert.ok(!isTrustedAddress('127.0.0.1:50000', []));
    assert.deepEqual(withoutSecrets({ auth_key: 'x', sign: 'y', Token: 'z', callback_a: '1' }), { callback_a: '1' });
  });
});
