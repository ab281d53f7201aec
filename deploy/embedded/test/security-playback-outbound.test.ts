// Issue 10, with real clients: signed playback (unsigned, tampered and expired URLs refused;
// signed ones and read keys play, with byte ranges and a playlist whose URIs come signed),
// /metrics and /healthz on their own loopback listener, and the outbound guard (a callback
// to 169.254.169.254 refused when saved; a name resolving to a denied address not contacted).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLiveRecordClient, LiveRecordError, type LiveRecordClient } from '../../../libs/client/index.js';
import { signedQuery } from '../../../libs/playback-auth/index.js';
import { eventsOn, freePort, makeTestMedia, push, startSystem, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const RANGE = { startTime: '2000-01-01T00:00:00Z', endTime: '2100-01-01T00:00:00Z' };

describe('security: signed playback and a separate ops listener', () => {
  let sys: RunningSystem;
  let client: LiveRecordClient;
  let opsPort: number;
  let recordUrl: URL;
  let key: string;

  before(async () => {
    opsPort = await freePort();
    sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1', LR_OPS_PORT: String(opsPort), LR_PLAYBACK_URL_TTL_SECONDS: '600' });
    client = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: sys.adminKey });
    assert.equal(await push(makeTestMedia('h264-aac', 6), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/signed`).done, 0);
    const files = await waitFor('the recording in the catalogue', async () => {
      const r = await client.describeLiveStreamRecordIndexFiles({ domainName: 'localhost', appName: 'live', streamName: 'signed', ...RANGE });
      return r.totalNum >= 1 ? r.recordIndexInfoList : null;
    }, 40000);
    recordUrl = new URL(files[0].recordUrl);
    key = decodeURIComponent(recordUrl.pathname.slice(1));
  });
  after(async () => {
    client?.close();
    await sys?.stop();
  });

  const local = (pathAndQuery: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${sys.ports.http}${pathAndQuery}`, init);

  it('answers a signed record_url whose lifetime is the configured one', async () => {
    const expires = Number(recordUrl.searchParams.get('expires'));
    const now = Math.floor(Date.now() / 1000);
    assert.ok(expires > now + 500 && expires <= now + 600, `expires ${expires - now} s from now`);
    assert.equal((await local(`${recordUrl.pathname}${recordUrl.search}`)).status, 200);
  });

  it('refuses unsigned, tampered, other-object and expired URLs', async () => {
    assert.equal((await local(recordUrl.pathname)).status, 401);
    const sig = recordUrl.searchParams.get('signature')!;
    const exp = recordUrl.searchParams.get('expires')!;
    assert.equal((await local(`${recordUrl.pathname}?expires=${Number(exp) + 1}&signature=${sig}`)).status, 403, 'a moved expiry');
    assert.equal((await local(`${recordUrl.pathname}?expires=${exp}&signature=${sig.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`)).status, 403, 'a changed signature');
    const secret = readFileSync(join(sys.dataDir, 'playback.key'), 'utf8').trim();
    assert.equal((await local(`${recordUrl.pathname}?${signedQuery(secret, key, Math.floor(Date.now() / 1000) - 5)}`)).status, 403, 'expired');
    assert.equal((await local(`/record/live/signed/other.m3u8?${recordUrl.search.slice(1)}`)).status, 403, 'a signature of another object');
    assert.equal((await local(recordUrl.pathname, { headers: { authorization: 'Bearer lrk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status, 401);
  });

  it('plays a signed playlist: its segments come signed and answer byte ranges; a read key works too', async () => {
    const playlist = await (await local(`${recordUrl.pathname}${recordUrl.search}`)).text();
    const segment = playlist.split('\n').find((l) => /\.ts\?expires=\d+&signature=[0-9a-f]{64}$/.test(l));
    assert.ok(segment, `a signed segment URI in:\n${playlist}`);
    const segUrl = new URL(segment, `http://127.0.0.1:${sys.ports.http}${recordUrl.pathname}`);
    const ranged = await local(`${segUrl.pathname}${segUrl.search}`, { headers: { range: 'bytes=0-187' } });
    assert.equal(ranged.status, 206);
    assert.equal((await ranged.arrayBuffer()).byteLength, 188);
    assert.equal((await local(segUrl.pathname)).status, 401, 'the segment itself is not open');
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', `http://127.0.0.1:${sys.ports.http}${recordUrl.pathname}${recordUrl.search}`], { encoding: 'utf8', timeout: 30000 });
    assert.equal(probe.status, 0, probe.stderr);
    // ffprobe lists HLS streams per program too: the set of codecs is what matters.
    assert.deepEqual([...new Set(probe.stdout.split('\n').filter(Boolean))].sort(), ['aac', 'h264']);
    const reader = await client.createApiKey({ name: 'player', scope: 'read' });
    const withKey = await local(segUrl.pathname, { headers: { authorization: `Bearer ${reader.apiKey}`, range: 'bytes=188-375' } });
    assert.equal(withKey.status, 206);
  });

  it('serves /metrics and /healthz only on the ops listener', async () => {
    assert.equal((await local('/metrics')).status, 404);
    assert.equal((await local('/healthz')).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status, 200);
    assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(), /liverecord_/);
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}${recordUrl.pathname}${recordUrl.search}`)).status, 404, 'no playback on the ops listener');
  });
});

describe('security: outbound guard', () => {
  let sys: RunningSystem;
  let client: LiveRecordClient;
  let receiver: Server;
  let receiverPort: number;
  let contacted = 0;

  before(async () => {
    receiver = createServer((req, res) => {
      contacted++;
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverPort = (receiver.address() as { port: number }).port;
    // Loopback denied here, so that "localhost" is a name that resolves to a denied address.
    sys = await startSystem({ LR_OUTBOUND_ALLOW_LOOPBACK: '0', LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1', LR_CALLBACK_MAX_ATTEMPTS: '2', LR_CALLBACK_FIRST_BACKOFF_MS: '100' });
    client = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: sys.adminKey });
  });
  after(async () => {
    client?.close();
    await sys?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof LiveRecordError);
      return err;
    }
    return assert.fail('accepted');
  };

  it('refuses callback URLs at cloud metadata, link-local, unspecified and (here) loopback addresses when saved', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/x', 'http://0.0.0.0:80/x', `http://127.0.0.1:${receiverPort}/cb`, 'http://[::ffff:169.254.169.254]/']) {
      const err = await refusal(client.addLiveRecordNotifyConfig({ domainName: 'localhost', notifyUrl: url }));
      assert.equal(err.codeName, 'INVALID_ARGUMENT', url);
      assert.match(err.message, /notify_url: may not be contacted/);
    }
    const od = await refusal(client.addLiveRecordNotifyConfig({ domainName: 'localhost', onDemandUrl: 'http://169.254.169.254/' }));
    assert.match(od.message, /on_demand_url: may not be contacted/);
  });

  it('does not contact a name that resolves to a denied address when a callback is sent', async () => {
    await client.addLiveRecordNotifyConfig({ domainName: 'localhost', notifyUrl: `http://localhost:${receiverPort}/cb`, needStatusNotify: true });
    assert.equal(await push(makeTestMedia('h264-aac', 4), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/guarded`).done, 0);
    const refused = await waitFor('the refused callback', async () =>
      (await eventsOn<{ kind: string; host: string; reason: string }>(sys.natsUrl, 'lr.evt.outbound.refused')).find((e) => e.host === `localhost:${receiverPort}`), 40000);
    assert.equal(refused.kind, 'callback');
    assert.match(refused.reason, /resolves to a denied address/);
    await waitFor('the file of the guarded stream', async () =>
      (await client.describeLiveStreamRecordIndexFiles({ domainName: 'localhost', appName: 'live', streamName: 'guarded', ...RANGE })).totalNum >= 1, 40000);
    // Both the status notice and the file callback were attempted and refused before the socket opened.
    await waitFor('the file callback refused too', async () =>
      (await eventsOn<{ host: string }>(sys.natsUrl, 'lr.evt.outbound.refused')).filter((e) => e.host === `localhost:${receiverPort}`).length >= 2, 40000);
    assert.equal(contacted, 0, 'the receiver was never contacted');
  });
});
