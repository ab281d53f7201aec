// Two transcoders as separate processes share the renditions; the one making a
// rendition is SIGKILLed mid-push, and the other takes the rendition over: the
// rendition's recording goes on, and no ffmpeg of the dead one is left.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TranscodeStateChanged } from '../../../libs/bus/index.js';
import { AddCustomLiveStreamTranscodeRequest, AddLiveAppRecordConfigRequest } from '../../../libs/proto/index.js';
import { REPO_ROOT, eventsOn, ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, waitFor } from '../../../test-kit/index.js';

const SETTINGS = { LR_LEASE_TTL_MS: '3000' };
const PUSH_SECONDS = 24;

interface Transcoder { proc: ChildProcess; out: () => string }

function startTranscoder(natsUrl: string, dataDir: string, id: string): Transcoder {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/transcoder/src/main.ts')], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...SETTINGS, LR_NATS_URL: natsUrl, LR_DATA_DIR: dataDir, LR_WORKER_ID: id, LR_RELAXED_LIMITS: '1' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

/**
 * This test's live-transcode ffmpeg processes, wherever they are: those of a
 * killed transcoder are re-parented, so they are found by their arguments (the
 * template's size is this test's own).
 */
function liveTranscodes(): string[] {
  return spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /\bffmpeg\b.*scale=-2:180.*-c:v libx264.*-f flv/.test(l));
}

describe('transcoder takeover', () => {
  it('a dead transcoder\'s rendition is taken over by another; the recording goes on', async () => {
    const sys = await startSystem({ ...SETTINGS, LR_EMBEDDED_SERVICES: 'index,storage-uploader,notifier,splice-timer,recorder,matcher,ingest,api' });
    const transcoders: Record<string, Transcoder> = { t1: startTranscoder(sys.natsUrl, sys.dataDir, 't1'), t2: startTranscoder(sys.natsUrl, sys.dataDir, 't2') };
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    try {
      for (const [id, t] of Object.entries(transcoders)) await waitFor(`transcoder ${id} ready`, () => t.out().includes('transcoder ready'), 30000, 100);
      await unary(client, 'addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({ domainName: 'localhost', appName: '*', template: 'ld', width: 0, height: 180, fps: 25, gop: 25, videoBitrate: 200, audioBitrate: 48 }));
      await unary(client, 'addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
        domainName: 'localhost', appName: 'live', streamName: 'tk', delayTime: 2, transcodeTemplates: ['ld'], transcodeRecordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
      }));
      const pusher = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/tk`);
      const states = () => eventsOn<TranscodeStateChanged>(sys.natsUrl, 'lr.evt.transcode.state');
      const first = await waitFor('the rendition to start', async () => (await states()).find((e) => e.state === 'started'), 30000);
      const owner = transcoders[first.workerId];
      assert.ok(owner, `started by one of the transcoders (${first.workerId})`);
      assert.equal(first.reason, 'source_published');
      owner.proc.kill('SIGKILL');

      const second = await waitFor('the takeover', async () => (await states()).find((e) => e.state === 'started' && e.workerId !== first.workerId), 30000);
      assert.equal(second.reason, 'takeover');
      assert.equal(second.sourceSessionId, first.sourceSessionId, 'the same source session');
      assert.notEqual(second.sessionId, first.sessionId, 'a new rendition session');
      assert.equal(await pusher.done, 0);
      const stopped = await waitFor('the rendition to stop with its source', async () => (await states()).find((e) => e.state === 'stopped' && e.workerId === second.workerId), 60000);
      assert.equal(stopped.reason, 'source_ended');
      // The dead transcoder's ffmpeg saw its stdin close and exited; the survivor ended its own.
      await waitFor('no live-transcode ffmpeg left', () => liveTranscodes().length === 0, 10000);

      // One recording of the rendition across the takeover (renditions only: the source itself has no files).
      const dir = join(sys.storageRoot, 'transcodeRecord/live/tk_ld');
      const m3u8 = await waitFor('the rendition playlist', () => (existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.m3u8')) : undefined), 60000);
      assert.equal(readdirSync(dir).filter((f) => f.endsWith('.m3u8')).length, 1, 'one file across the takeover');
      const probe = ffprobe(join(dir, m3u8));
      const video = probe.streams.find((s) => s.codec_name === 'h264') as { width?: number; height?: number } | undefined;
      assert.deepEqual([video?.width, video?.height], [320, 180], 'the aspect ratio kept from 640x360');
      assert.ok(Number(probe.format.duration) >= PUSH_SECONDS / 2, `the rendition holds most of the push (${probe.format.duration} s)`);
      assert.ok(!existsSync(join(sys.storageRoot, 'record/live/tk')), 'a renditions-only template records no source files');
    } finally {
      client.close();
      for (const t of Object.values(transcoders)) if (t.proc.exitCode === null) t.proc.kill('SIGTERM');
      await sys.stop();
    }
  });
});
