// A recorder worker dies mid-recording: another worker adopts the stream and continues the same file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { streamToken } from '../../../libs/bus/index.js';
import { REPO_ROOT, ffprobe, makeTestMedia, push, startSystem, waitFor } from '../../../test-kit/index.js';

describe('adoption - a second worker continues a dead worker\'s recording', () => {
  it('SIGKILL the owner: the other worker adopts the snapshot; one file, one discontinuity', async () => {
    const sys = await startSystem({
      LR_EMBEDDED_SERVICES: 'index,storage-uploader,notifier,splice-timer,matcher,ingest,api',
      LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3', LR_LEASE_TTL_MS: '3000',
    });
    const worker = (id: string): ChildProcess => spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/recorder/src/main.ts')], {
      cwd: REPO_ROOT, stdio: 'ignore',
      env: { ...process.env, LR_NATS_URL: sys.natsUrl, LR_DATA_DIR: sys.dataDir, LR_WORKER_ID: id, LR_LEASE_TTL_MS: '3000', LR_RELAXED_LIMITS: '1', LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3' },
    });
    const workers: Record<string, ChildProcess> = { w1: worker('w1'), w2: worker('w2') };
    const nc = await connect({ servers: sys.natsUrl });
    try {
      const leases = await new Kvm(jetstream(nc)).open('lr_leases');
      const token = streamToken({ domain: 'localhost', app: 'live', stream: 'adopted' });
      await new Promise((r) => setTimeout(r, 3000));
      const p = push(makeTestMedia('h264-aac', 40), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/adopted`, { seconds: 24 });
      const owner = await waitFor('an owner', async () => (await leases.get(token))?.string(), 15000);
      await new Promise((r) => setTimeout(r, 7000));
      workers[owner].kill('SIGKILL');
      const other = owner === 'w1' ? 'w2' : 'w1';
      await waitFor('the adoption', async () => (await leases.get(token))?.string() === other, 15000, 200);
      await p.done;
      const dir = join(sys.storageRoot, 'record/live/adopted');
      const playlists = await waitFor('the file', () => existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith('.m3u8')).length > 0 && readdirSync(dir).filter((f) => f.endsWith('.m3u8')), 30000, 250);
      assert.equal(playlists.length, 1, 'one file across the takeover');
      const text = readFileSync(join(dir, playlists[0]), 'utf8');
      assert.equal(text.match(/#EXT-X-DISCONTINUITY/g)?.length, 1, text);
      const d = Number(ffprobe(join(dir, playlists[0])).format.duration);
      // Lost: the segment being written when the owner died, and the lease's 3 s before the takeover.
      assert.ok(d >= 12 && d <= 25, `the file holds both workers' parts: ${d} s of a 24 s push`);
    } finally {
      for (const w of Object.values(workers)) w.kill('SIGKILL');
      await nc.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
