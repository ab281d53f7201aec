// Issue 10, with real clients and real pushes: API keys and scopes on every gRPC method,
// the admin key written at first start, audit events; signed publish URLs per domain
// (unsigned, expired, tampered and wrong-key publishes refused with no file and an
// evented reason; a valid one recorded; the secondary key working during rotation).
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLiveRecordClient, LiveRecordError, METHOD_NAMES, type LiveRecordClient } from '../../../libs/client/index.js';
import { signAuthKey } from '../../../libs/publish-auth/index.js';
import { eventsOn, makeTestMedia, push, startSystem, waitFor, type RunningSystem } from '../../../test-kit/index.js';
import { METHOD_SCOPES } from '../../../services/api/src/auth/scopes.js';

/** The secret part of `lrk_{16 hex id}_{43 base64url}`; base64url may itself contain `_`. */
const secretOf = (token: string): string => token.slice(21);

const DOMAIN = 'secure.example.com';
const OLD_KEY = 'old-publish-key-0123456789';
const NEW_KEY = 'new-publish-key-9876543210';

interface Refused { stream: { domain: string; stream: string }; reason: string; kind: string }

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    assert.ok(err instanceof LiveRecordError, String(err));
    return err.codeName;
  }
}

describe('security: API keys and publish authentication', () => {
  let sys: RunningSystem;
  let admin: LiveRecordClient;
  const media = makeTestMedia('h264-aac', 4);

  before(async () => {
    sys = await startSystem({ LR_PUBLISH_AUTH_KEYS: `${DOMAIN}=${OLD_KEY}` });
    admin = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: sys.adminKey });
    await admin.addLiveAppRecordConfig({ domainName: DOMAIN, appName: 'live', streamName: '*', delayTime: 1, recordFormat: [{ format: 'm3u8', sliceDuration: 2, cycleDuration: 900 }] });
  });
  after(async () => {
    admin?.close();
    await sys?.stop();
  });

  it('wrote the admin key at first start: mode 0600, the key only, its location logged but never the key', () => {
    const file = join(sys.dataDir, 'admin.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(sys.adminKey, /^lrk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.match(sys.logs(), /created the admin API key/);
    assert.ok(sys.logs().includes(file));
    assert.ok(!sys.logs().includes(secretOf(sys.adminKey)), 'the key never appears in the logs');
  });

  it('every method refuses a call without a key or with an unknown one, and a read key cannot mutate', async () => {
    const anonymous = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}` });
    const forged = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: `${sys.adminKey.slice(0, -4)}AAAA` });
    const created = await admin.createApiKey({ name: 'viewer', scope: 'read' });
    const reader = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: created.apiKey });
    try {
      for (const m of METHOD_NAMES) {
        assert.equal(await codeOf(anonymous.call(m, {})), 'UNAUTHENTICATED', `${m} without a key`);
        assert.equal(await codeOf(forged.call(m, {})), 'UNAUTHENTICATED', `${m} with a forged key`);
        const asReader = await codeOf(reader.call(m, {}));
        if (METHOD_SCOPES[m] === 'read') assert.notEqual(asReader, 'PERMISSION_DENIED', `${m} is allowed to a read key`);
        else assert.equal(asReader, 'PERMISSION_DENIED', `${m} with a read key`);
      }
      const listed = await admin.listApiKeys({});
      assert.ok(listed.apiKeyList.some((k) => k.keyId === created.keyInfo!.keyId && k.scope === 'read'));
      assert.ok(!JSON.stringify(listed).includes(secretOf(created.apiKey)), 'keys are never listed');
      // The audit trail names the caller's key id for every mutating call, allowed or not.
      const audits = await waitFor('audit events', async () => {
        const evs = await eventsOn<{ method: string; keyId: string; outcome: string }>(sys.natsUrl, 'lr.evt.api.audit');
        return evs.some((e) => e.keyId === created.keyInfo!.keyId && e.outcome === 'PERMISSION_DENIED') ? evs : null;
      });
      assert.ok(audits.some((e) => e.method === 'CreateApiKey' && e.outcome === 'OK' && e.keyId === sys.adminKey.slice(4, 20)));
      await admin.revokeApiKey({ keyId: created.keyInfo!.keyId });
      assert.equal(await codeOf(reader.describeLiveRecordConfig({ domainName: DOMAIN })), 'UNAUTHENTICATED');
    } finally {
      anonymous.close();
      forged.close();
      reader.close();
    }
  });

  const url = (stream: string, authKey?: string) =>
    `rtmp://127.0.0.1:${sys.ports.rtmp}/live/${stream}${authKey === undefined ? '' : `?auth_key=${authKey}`}`;
  // The connection goes to the loopback listener, the stream's domain comes from the tcUrl's host.
  const pushTo = (stream: string, authKey?: string) =>
    push(media, url(stream, authKey), { outputArgs: ['-rtmp_tcurl', `rtmp://${DOMAIN}:${sys.ports.rtmp}/live`] });
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  const refusedWith = async (stream: string, authKey: string | undefined, reason: string) => {
    const code = await pushTo(stream, authKey).done;
    assert.notEqual(code, 0, `the refused publisher of ${stream} fails`);
    const ev = await waitFor(`the refusal of ${stream}`, async () =>
      (await eventsOn<Refused>(sys.natsUrl, 'lr.evt.ingest.refused')).find((e) => e.stream.stream === stream && e.stream.domain === DOMAIN));
    assert.equal(ev.reason, reason);
    assert.equal(ev.kind, 'publish');
    assert.equal(existsSync(join(sys.storageRoot, 'record/live', stream)), false, `nothing of ${stream} is stored`);
    assert.equal(existsSync(join(sys.dataDir, 'spool')) && JSON.stringify((await import('node:fs')).readdirSync(join(sys.dataDir, 'spool'), { recursive: true })).includes(stream), false);
  };

  it('refuses unsigned, malformed, expired, tampered and wrong-key publishes with the reason evented', async () => {
    await refusedWith('unsigned', undefined, 'missing');
    await refusedWith('garbage', 'not-a-signature', 'malformed');
    await refusedWith('expired', signAuthKey('live', 'expired', OLD_KEY, Math.floor(Date.now() / 1000) - 10), 'expired');
    const good = signAuthKey('live', 'tampered', OLD_KEY, inAnHour());
    await refusedWith('tampered', good.replace(/^\d+/, String(inAnHour() + 999)), 'tampered');
    await refusedWith('wrongkey', signAuthKey('live', 'wrongkey', 'some-other-key-0123456789', inAnHour()), 'tampered');
    // A signature for another stream name does not open this one.
    await refusedWith('othername', signAuthKey('live', 'not-othername', OLD_KEY, inAnHour()), 'tampered');
    const publishes = await eventsOn<{ stream: { stream: string } }>(sys.natsUrl, 'lr.evt.ingest.publish');
    assert.deepEqual(publishes.filter((p) => ['unsigned', 'garbage', 'expired', 'tampered', 'wrongkey', 'othername'].includes(p.stream.stream)), []);
    assert.match(sys.logs(), /"reason":"tampered".*publish refused|publish refused.*"reason":"tampered"/);
  });

  const recorded = async (stream: string) => {
    assert.equal(await pushTo(stream, signAuthKey('live', stream, stream === 'rotated-old' ? OLD_KEY : NEW_KEY, inAnHour())).done, 0);
    await waitFor(`a file of ${stream}`, async () =>
      (await admin.describeLiveStreamRecordIndexFiles({ domainName: DOMAIN, appName: 'live', streamName: stream, startTime: '2000-01-01T00:00:00Z', endTime: '2100-01-01T00:00:00Z' })).totalNum >= 1, 40000);
  };

  it('records a valid signed publish; during rotation both keys work, auth parameters are not kept', async () => {
    assert.equal(await pushTo('signed-old', signAuthKey('live', 'signed-old', OLD_KEY, inAnHour())).done, 0);
    await waitFor('a file of signed-old', async () =>
      (await admin.describeLiveStreamRecordIndexFiles({ domainName: DOMAIN, appName: 'live', streamName: 'signed-old', startTime: '2000-01-01T00:00:00Z', endTime: '2100-01-01T00:00:00Z' })).totalNum >= 1, 40000);
    // Rotation: the new key becomes primary, the old one secondary; publishers signed with either get in.
    const keyUpdates = () => sys.logs().split('publish signing keys updated').length - 1;
    let seen = keyUpdates();
    await admin.setPublishAuthKeys({ domainName: DOMAIN, primaryKey: NEW_KEY, secondaryKey: OLD_KEY });
    const auth = await admin.describePublishAuth({ domainName: DOMAIN });
    assert.deepEqual([auth.required, auth.primaryKeySet, auth.secondaryKeySet, auth.source], [true, true, true, 'api']);
    assert.ok(!JSON.stringify(auth).includes(NEW_KEY));
    await waitFor('the ingest to see the new keys', () => keyUpdates() > seen, 10000, 50);
    seen = keyUpdates();
    await recorded('rotated-new');
    await recorded('rotated-old');
    // Once the old key is dropped, it no longer opens anything.
    await admin.setPublishAuthKeys({ domainName: DOMAIN, primaryKey: NEW_KEY });
    await waitFor('the ingest to drop the old key', () => keyUpdates() > seen, 10000, 50);
    await refusedWith('retired', signAuthKey('live', 'retired', OLD_KEY, inAnHour()), 'tampered');
    const publishes = await eventsOn<{ params: Record<string, unknown> }>(sys.natsUrl, 'lr.evt.ingest.publish');
    assert.ok(publishes.length >= 3);
    for (const p of publishes) assert.deepEqual(Object.keys(p.params).filter((k) => /auth_key|sign/.test(k)), [], 'no credential in a stored event');
    assert.ok(!sys.logs().includes('auth_key='), 'no credential in the logs');
  });

  it('an unsigned local push to the default domain still records (the quick start)', async () => {
    assert.equal(await push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/quickstart`).done, 0);
    const decision = await waitFor('the quick-start decision', async () =>
      (await admin.describeLiveStreamRecordStatus({ domainName: 'localhost', appName: 'live', streamName: 'quickstart' })).lastDecision);
    assert.equal(decision.record, true);
  });

  it('RTMP play is off by default', async () => {
    const pusher = pushTo('watched', signAuthKey('live', 'watched', NEW_KEY, inAnHour()));
    try {
      await waitFor('watched to be live', async () => (await admin.describeLiveStreamRecordStatus({ domainName: DOMAIN, appName: 'live', streamName: 'watched' })).hasActor, 20000);
      const { spawnSync } = await import('node:child_process');
      const play = spawnSync('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-i', `rtmp://127.0.0.1:${sys.ports.rtmp}/live/watched`], { timeout: 15000 });
      assert.notEqual(play.status, 0);
      await waitFor('the refused play', async () =>
        (await eventsOn<Refused>(sys.natsUrl, 'lr.evt.ingest.refused')).find((e) => e.kind === 'play' && e.reason === 'play_disabled'));
    } finally {
      pusher.kill();
    }
  });
});
