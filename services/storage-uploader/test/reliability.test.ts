// Nothing recorded is lost on the way to storage: an S3 outage mid-recording, an uploader killed mid-upload.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SegmentStored } from '../../../libs/bus/index.js';
import { S3Storage, s3Client } from '../../../libs/storage/index.js';
import { REPO_ROOT, eventsOn, ffprobe, makeTestMedia, push, startCuttableProxy, startS3, startSystem, waitFor } from '../../../test-kit/index.js';

const media = makeTestMedia('h264-aac', 40);

function segmentKeysOf(playlist: string, dir: string): string[] {
  return playlist.split('\n').filter((l) => l.endsWith('.ts')).map((l) => `${dir}/${l}`);
}

/** Jobs the uploader has reported failing (each retried), from its log lines. */
function failedJobs(logs: string): Set<string> {
  const out = new Set<string>();
  for (const m of logs.matchAll(/"job":"([^"]+)"[^\n]*"msg":"upload failed; will retry"/g)) out.add(m[1]);
  return out;
}

describe('storage-uploader - reliability', () => {
  it('an S3 outage during a recording: every segment arrives, exactly once', async () => {
    const s3 = await startS3();
    await s3.createBucket('rec');
    const proxy = await startCuttableProxy(Number(new URL(s3.endpoint).port));
    const endpoint = `http://127.0.0.1:${proxy.port}`;
    const sys = await startSystem({
      LR_S3_ENDPOINT: endpoint, LR_S3_ACCESS_KEY_ID: 'test', LR_S3_SECRET_ACCESS_KEY: 'test', LR_DEFAULT_TEMPLATE_BUCKET: 'rec',
      LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1',
    });
    const store = new S3Storage(s3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: 8 << 20 }), 'rec', s3.endpoint, 8 << 20);
    try {
      const p = push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/outage`, { seconds: 32 });
      await waitFor('the first segments in S3', async () => (await store.list('record/live/outage/')).filter((o) => o.key.endsWith('.ts')).length >= 2, 30000, 250);
      await proxy.cut();
      // The outage lasts while the recording goes on: until several segments have failed to upload.
      await waitFor('uploads failing during the outage', () => failedJobs(sys.logs()).size >= 4, 60000, 250);
      await proxy.restore();
      await p.done;
      const playlistKey = await waitFor('the playlist in S3', async () => (await store.list('record/live/outage/')).find((o) => o.key.endsWith('.m3u8'))?.key, 90000, 500);
      const playlist = (await (async () => { const chunks: Buffer[] = []; for await (const c of await store.read(playlistKey)) chunks.push(c as Buffer); return Buffer.concat(chunks).toString(); })());
      const referenced = segmentKeysOf(playlist, 'record/live/outage');
      const stored = (await store.list('record/live/outage/')).filter((o) => o.key.endsWith('.ts')).map((o) => o.key);
      assert.ok(referenced.length >= 14, `about 16 segments of 2 s, got ${referenced.length}`);
      assert.deepEqual([...stored].sort(), [...referenced].sort(), 'every referenced segment is stored, and nothing else');
      const events = (await eventsOn<SegmentStored>(sys.natsUrl, 'lr.evt.storage.segment')).filter((e) => e.segment.stream.stream === 'outage');
      assert.equal(events.length, referenced.length, 'each segment was announced exactly once');
      assert.equal(new Set(events.map((e) => e.objectKey)).size, events.length);
      // Straight at the S3 server: ffprobe blocks this process, which also runs the proxy.
      const probe = ffprobe(`${s3.endpoint}/rec/${playlistKey}`);
      assert.ok(Math.abs(Number(probe.format.duration) - 32) <= 2, `the recording plays from S3: ${probe.format.duration} s`);
      assert.deepEqual(proxy.requests().filter((r) => r.startsWith('HEAD ')), [], 'the playlist waited for its segments without polling storage');
    } finally {
      assert.equal(await sys.stop(), 0);
      await proxy.close();
      await s3.stop();
    }
  });

  it('an uploader killed with SIGKILL mid-upload: after its restart nothing is lost and nothing duplicated', async () => {
    const sys = await startSystem({
      LR_EMBEDDED_SERVICES: 'index,notifier,splice-timer,recorder,matcher,ingest,api',
      LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '1', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1',
    });
    const dir = join(sys.storageRoot, 'record/live/killed');
    const storedSegments = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).length : 0);
    const startUploader = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/storage-uploader/src/main.ts')], {
        cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, LR_NATS_URL: sys.natsUrl, LR_DATA_DIR: sys.dataDir, LR_HTTP_PORT: String(sys.ports.http), LR_LOG_LEVEL: 'info' },
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('the uploader to start', () => out.includes('storage uploader ready'), 30000, 100);
      return child;
    };
    let uploader = await startUploader();
    try {
      const p = push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/killed`, { seconds: 16 });
      for (let i = 0; i < 3; i++) {
        // Killed while it is working: right after it stored one more segment.
        const before = storedSegments();
        await waitFor('the uploader storing a segment', () => storedSegments() > before, 30000, 50);
        uploader.kill('SIGKILL');
        uploader = await startUploader();
      }
      await p.done;
      const playlistFile = await waitFor('the playlist', () => existsSync(dir) && readdirSync(dir).find((f) => f.endsWith('.m3u8')), 60000, 250);
      const playlist = readFileSync(join(dir, playlistFile), 'utf8');
      const referenced = segmentKeysOf(playlist, 'record/live/killed');
      const stored = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => `record/live/killed/${f}`);
      assert.ok(referenced.length >= 7, `about 8 segments (2 s keyframe interval), got ${referenced.length}: ${readdirSync(dir).join(' ')}\n${sys.logs().split('\n').filter((l) => /recording state|finalized|segmenter/.test(l)).join('\n')}`);
      assert.deepEqual(stored.sort(), [...referenced].sort(), 'every segment stored once, no leftovers');
      const events = (await eventsOn<SegmentStored>(sys.natsUrl, 'lr.evt.storage.segment')).filter((e) => e.segment.stream.stream === 'killed');
      assert.equal(events.length, referenced.length, 'each segment announced exactly once');
      assert.ok(Math.abs(Number(ffprobe(join(dir, playlistFile)).format.duration) - 16) <= 2);
    } finally {
      uploader.kill('SIGKILL');
      assert.equal(await sys.stop(), 0);
    }
  });
});
