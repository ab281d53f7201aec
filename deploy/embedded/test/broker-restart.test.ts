// The embedded broker is SIGKILLed in the middle of a recording: the system starts it again,
// commands answer once it is back, the unpublish is announced, and the recording ends as one
// complete file holding what the broker kept (its file store survives a SIGKILL).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IngestUnpublished } from '../../../libs/bus/index.js';
import * as pb from '../../../libs/proto/index.js';
import { eventsOn, grpcClient, makeTestMedia, push, startSystem, unary, videoPacketHashes, waitFor } from '../../../test-kit/index.js';

describe('broker restart during a recording', () => {
  it('SIGKILL of the embedded nats-server: one complete file, commands and unpublish work after its return', async () => {
    const sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3', LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8,flv' });
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    const source = makeTestMedia('h264-aac', 20);
    const dir = join(sys.storageRoot, 'record/live/survive');
    try {
      const pusher = push(source, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/survive`);
      await waitFor('recording under way', () => existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith('.ts')).length >= 2, 30000);
      const pidFile = join(sys.dataDir, 'nats', 'nats-server.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      process.kill(pid, 'SIGKILL');
      await waitFor('a new broker', () => {
        const now = Number(readFileSync(pidFile, 'utf8').trim());
        return now !== pid && existsSync(`/proc/${now}`);
      }, 30000, 100);
      const status = await waitFor('commands answered after the broker is back', async () =>
        unary<object, pb.DescribeLiveStreamRecordStatusResponse>(client, 'describeLiveStreamRecordStatus', pb.DescribeLiveStreamRecordStatusRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: 'survive' })), 15000, 250);
      assert.equal(status.hasActor, true);
      assert.equal(await pusher.done, 0, 'the publisher was not disconnected');
      await waitFor('the unpublish announced', async () => (await eventsOn<IngestUnpublished>(sys.natsUrl, 'lr.evt.ingest.unpublish')).some((e) => e.stream.stream === 'survive'), 30000);
      const list = (ext: string) => readdirSync(dir).filter((f) => f.endsWith(ext));
      await waitFor('the files', () => list('.m3u8').length > 0 && list('.flv').length > 0, 40000, 250);
      assert.equal(list('.m3u8').length, 1, 'one playlist');
      assert.equal(list('.flv').length, 1, 'one flv');
      const src = videoPacketHashes(source);
      for (const f of [...list('.m3u8'), ...list('.flv')]) {
        const rec = videoPacketHashes(join(dir, f));
        // What reached the broker before the kill is on disk; what was sent while it was away is retried by the ingest.
        assert.deepEqual(rec, src, `${f}: every video packet of the push`);
      }
    } finally {
      client.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
