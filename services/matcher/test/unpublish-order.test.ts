// An unpublish is never lost, whatever the order: here it is announced before
// any recorder worker took the stream's assignment.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IngestUnpublished, RecordingStateChanged } from '../../../libs/bus/index.js';
import * as pb from '../../../libs/proto/index.js';
import { REPO_ROOT, eventsOn, grpcClient, makeTestMedia, push, startSystem, unary, videoPacketHashes, waitFor } from '../../../test-kit/index.js';

function startRecorder(natsUrl: string, dataDir: string): { proc: ChildProcess; ready: Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/recorder/src/main.ts')], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LR_NATS_URL: natsUrl, LR_DATA_DIR: dataDir, LR_RELAXED_LIMITS: '1', LR_LEASE_TTL_MS: '3000' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, ready: waitFor('the recorder worker', () => out.includes('recorder worker ready'), 30000, 100).then(() => undefined) };
}

describe('unpublish before the actor exists', () => {
  it('recorded: the whole session is recorded and finalized after the window, not failed; manual: the idle actor ends', async () => {
    const sys = await startSystem({
      LR_EMBEDDED_SERVICES: 'index,storage-uploader,notifier,splice-timer,matcher,ingest,api',
      LR_DEFAULT_TEMPLATE: '0', LR_LEASE_TTL_MS: '3000',
    });
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    const call = <Res>(method: string, msg: { fromPartial(o: object): object }, req: object) => unary<object, Res>(client, method, msg.fromPartial(req));
    let recorder: ChildProcess | null = null;
    try {
      await call('addLiveAppRecordConfig', pb.AddLiveAppRecordConfigRequest, { domainName: 'localhost', appName: 'live', streamName: 'early', delayTime: 2, recordFormat: [{ format: 'm3u8', sliceDuration: 2, cycleDuration: 3600 }] });
      await call('addLiveAppRecordConfig', pb.AddLiveAppRecordConfigRequest, { domainName: 'localhost', appName: 'live', streamName: 'manual', delayTime: 2, onDemand: 7, recordFormat: [{ format: 'm3u8', sliceDuration: 2, cycleDuration: 3600 }] });
      const source = makeTestMedia('h264-aac', 6);
      // No recorder runs: both publishes are matched and assigned, and both publishers leave.
      assert.deepEqual(await Promise.all(['early', 'manual'].map((s) => push(source, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/${s}`).done)), [0, 0]);
      await waitFor('both unpublishes announced', async () => (await eventsOn<IngestUnpublished>(sys.natsUrl, 'lr.evt.ingest.unpublish')).length === 2, 15000);

      const worker = startRecorder(sys.natsUrl, sys.dataDir);
      recorder = worker.proc;
      await worker.ready;
      const states = async (stream: string) => (await eventsOn<RecordingStateChanged>(sys.natsUrl, 'lr.evt.recording.state')).filter((e) => e.stream.stream === stream);
      const ended = await waitFor('the recording to end', async () => (await states('early')).find((e) => e.phase === 'ended' || e.phase === 'failed'), 30000);
      assert.equal(ended.phase, 'ended', `ended, not failed: ${ended.reason}`);
      assert.ok((await states('early')).some((e) => e.phase === 'reconnect_wait'), 'it waited out the reconnect window');
      const dir = join(sys.storageRoot, 'record/live/early');
      const [m3u8] = await waitFor('the playlist', () => existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith('.m3u8')).length > 0 && readdirSync(dir).filter((f) => f.endsWith('.m3u8')), 20000);
      assert.deepEqual(videoPacketHashes(join(dir, m3u8)), videoPacketHashes(source), 'every packet of the session, though no worker ran while it was live');

      const manualEnd = await waitFor('the idle manual actor to end', async () => (await states('manual')).find((e) => e.phase === 'ended'), 30000);
      assert.equal(manualEnd.previous, 'idle');
      const status = await call<pb.DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus', pb.DescribeLiveStreamRecordStatusRequest, { domainName: 'localhost', appName: 'live', streamName: 'manual' });
      assert.equal(status.hasActor, false);
    } finally {
      recorder?.kill('SIGKILL');
      client.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
