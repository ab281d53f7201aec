// Reconnect-window deadlines survive restarts: of the splice-timer alone, and of the whole system.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TimerEntry } from '../../../libs/bus/index.js';
import * as pb from '../../../libs/proto/index.js';
import { REPO_ROOT, eventsOn, grpcClient, makeTestMedia, push, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const DOMAIN = 'localhost';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const media = makeTestMedia('h264-aac', 40);

function startSpliceTimer(natsUrl: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/splice-timer/src/main.ts')], {
    cwd: REPO_ROOT, env: { ...process.env, LR_NATS_URL: natsUrl, LR_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, ready: waitFor('the splice timer', () => out.includes('splice timer ready'), 30000, 100).then(() => undefined) };
}

async function helpers(sys: RunningSystem) {
  const client = grpcClient(sys.ports.grpc, sys.adminKey);
  const call = <Res>(method: string, msg: { fromPartial(o: object): object }, req: object) => unary<object, Res>(client, method, msg.fromPartial(req));
  return {
    client,
    template: (stream: string, delayTime: number) => call('addLiveAppRecordConfig', pb.AddLiveAppRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: stream, delayTime, recordFormat: [{ format: 'm3u8', sliceDuration: 2 }] }),
    stateOf: async (stream: string) => (await call<pb.DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus', pb.DescribeLiveStreamRecordStatusRequest, { domainName: DOMAIN, appName: 'live', streamName: stream }).catch(() => null))?.state,
    playlists: (stream: string) => {
      const dir = join(sys.storageRoot, 'record/live', stream);
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.m3u8')).map((f) => join(dir, f)) : [];
    },
  };
}

describe('splice-timer - durable reconnect-window deadlines', () => {
  it('a splice-timer killed during the window and restarted after the deadline still fires, once', async () => {
    const sys = await startSystem({ LR_DEFAULT_TEMPLATE: '0', LR_EMBEDDED_SERVICES: 'index,storage-uploader,notifier,recorder,matcher,ingest,api' });
    let timer = startSpliceTimer(sys.natsUrl);
    try {
      await timer.ready;
      const h = await helpers(sys);
      await h.template('killed', 6);
      await push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/killed`, { seconds: 4 }).done;
      await waitFor('the window', async () => (await h.stateOf('killed')) === 'reconnect_wait', 10000);
      timer.child.kill('SIGKILL');
      await sleep(8000);
      assert.equal(h.playlists('killed').length, 0, 'nothing fires while no splice-timer runs');
      assert.equal(await h.stateOf('killed'), 'reconnect_wait');
      timer = startSpliceTimer(sys.natsUrl);
      await timer.ready;
      await waitFor('the file after the late deadline', () => h.playlists('killed').length === 1, 10000);
      await sleep(2000);
      const fired = (await eventsOn<TimerEntry>(sys.natsUrl, 'lr.evt.timer.fired')).filter((t) => t.stream.stream === 'killed');
      assert.equal(fired.length, 1, 'fired exactly once');
      assert.equal(h.playlists('killed').length, 1);
      h.client.close();
    } finally {
      timer.child.kill('SIGKILL');
      assert.equal(await sys.stop(), 0);
    }
  });

  it('a whole-system restart during the window continues the same file (handover) and the deadline still fires once', async () => {
    const dataDir = tempDir('handover');
    const env = { LR_DEFAULT_TEMPLATE: '0', LR_RECORDER_SHUTDOWN: 'handover', LR_LEASE_TTL_MS: '3000' };
    let sys = await startSystem(env, dataDir);
    let h = await helpers(sys);
    try {
      await h.template('survivor', 20);
      await push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/survivor`, { seconds: 5 }).done;
      await waitFor('the window', async () => (await h.stateOf('survivor')) === 'reconnect_wait', 10000);
      h.client.close();
      assert.equal(await sys.stop(), 0);
      assert.equal(h.playlists('survivor').length, 0, 'handover finalizes nothing');

      sys = await startSystem(env, dataDir);
      h = await helpers(sys);
      await waitFor('the adopted actor', async () => (await h.stateOf('survivor')) === 'reconnect_wait', 15000);
      await push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/survivor`, { seconds: 5 }).done;
      const [file] = await waitFor('the one file after the second window', () => h.playlists('survivor').length === 1 && h.playlists('survivor'), 40000, 250);
      const text = readFileSync(file, 'utf8');
      assert.equal(text.match(/#EXT-X-DISCONTINUITY/g)?.length, 1, `both publishes in one file:\n${text}`);
      await sleep(1500);
      assert.equal(h.playlists('survivor').length, 1);
      const fired = (await eventsOn<TimerEntry>(sys.natsUrl, 'lr.evt.timer.fired')).filter((t) => t.stream.stream === 'survivor');
      assert.equal(fired.length, 1, 'the first window was cancelled by the return, the second fired once');
    } finally {
      h.client.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
