// Callbacks arrive at a real HTTP receiver, signed, and are retried after a failure.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as pb from '../../../libs/proto/index.js';
import { grpcClient, makeTestMedia, push, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';
import { HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, verifyCallback } from '../src/callback-signing.js';

const AUTH_KEY = 'test-auth-key-0123';

interface Received { id: string; timestamp: string; signature: string; body: string; json: Record<string, unknown>; answered: number }

describe('callbacks - file and status notices', () => {
  let sys: RunningSystem;
  let receiver: Server;
  let url = '';
  const received: Received[] = [];
  const failedOnce = new Set<string>();

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const id = String(req.headers[HEADER_ID]);
        // The first delivery of every callback fails: each must be retried.
        const answered = failedOnce.has(id) ? 200 : 500;
        failedOnce.add(id);
        received.push({ id, timestamp: String(req.headers[HEADER_TIMESTAMP]), signature: String(req.headers[HEADER_SIGNATURE]), body, json: JSON.parse(body), answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/callbacks`;
    sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '2', LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8,mp4', LR_CALLBACK_FIRST_BACKOFF_MS: '300' });
  });

  after(async () => {
    receiver?.close();
    assert.equal(await sys?.stop(), 0);
  });

  it('posts signed notices for the recording and for each file, retried after a 500', async () => {
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    await unary(client, 'addLiveRecordNotifyConfig', pb.AddLiveRecordNotifyConfigRequest.fromPartial({ domainName: 'localhost', notifyUrl: url, needStatusNotify: true, authKey: AUTH_KEY }));
    const described = await unary<object, pb.DescribeLiveRecordNotifyConfigResponse>(client, 'describeLiveRecordNotifyConfig', pb.DescribeLiveRecordNotifyConfigRequest.fromPartial({ domainName: 'localhost' }));
    assert.equal(described.liveRecordNotifyConfig?.authKeySet, true);
    assert.doesNotMatch(JSON.stringify(described), new RegExp(AUTH_KEY), 'the key is never returned');
    client.close();

    await push(makeTestMedia('h264-aac', 40), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/cb?callback_user=alice&callback_room=7&other=x`, { seconds: 5 }).done;

    const delivered = () => received.filter((r) => r.answered === 200);
    await waitFor('two file callbacks and the status notices delivered', () => {
      const events = delivered().map((r) => r.json.event);
      return events.filter((e) => e === 'record_file').length === 2 && events.includes('record_started') && events.includes('record_paused');
    }, 30000);

    for (const r of received) {
      assert.ok(verifyCallback(AUTH_KEY, r.timestamp, r.signature, r.body, Math.floor(Date.now() / 1000)), `signature of ${r.id}`);
      assert.equal(r.json.id, r.id);
    }
    assert.equal(verifyCallback('wrong-key-000', received[0].timestamp, received[0].signature, received[0].body, Math.floor(Date.now() / 1000)), false);

    for (const ok of delivered()) {
      const attempts = received.filter((r) => r.id === ok.id);
      assert.equal(attempts.length, 2, `${ok.json.event} was retried once after the 500`);
      assert.equal(attempts[0].answered, 500);
      assert.equal(attempts[0].body, attempts[1].body, 'a retry sends the same callback');
    }

    const files = delivered().filter((r) => r.json.event === 'record_file').map((r) => r.json);
    assert.deepEqual(files.map((f) => f.format).sort(), ['m3u8', 'mp4']);
    for (const f of files) {
      assert.equal(f.domain, 'localhost');
      assert.equal(f.app, 'live');
      assert.equal(f.stream, 'cb');
      assert.match(String(f.uri), /^record\/live\/cb\/.+\.(m3u8|mp4)$/);
      assert.ok(Number(f.duration) > 3 && Number(f.duration) < 8, `duration ${f.duration}`);
      assert.ok(Number(f.stop_time) > Number(f.start_time));
      assert.deepEqual(f.push_args, { callback_user: 'alice', callback_room: '7' });
    }
    const started = delivered().find((r) => r.json.event === 'record_started')!.json;
    assert.deepEqual(started.push_args, { callback_user: 'alice', callback_room: '7' });
  });
});
