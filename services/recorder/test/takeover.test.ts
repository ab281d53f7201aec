// Two recorder workers as separate processes, ten live pushes; the worker that
// owns most of them is SIGKILLed mid-push. The other adopts each actor and
// replays its open segment from the media plane: every recording is one file
// per format holding every video packet of the push, with no discontinuity.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { streamToken } from '../../../libs/bus/index.js';
import { REPO_ROOT, makeTestMedia, push, startSystem, tempDir, videoPacketHashes, waitFor } from '../../../test-kit/index.js';

const STREAMS = Array.from({ length: 10 }, (_, i) => `take${i}`);
const SETTINGS = { LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3', LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8,flv', LR_LEASE_TTL_MS: '3000' };

interface Worker { proc: ChildProcess; out: () => string }

function startWorker(natsUrl: string, dataDir: string, id: string): Worker {
  // Each worker has its own spool, as on separate hosts: the adopter cannot read the dead worker's files.
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/recorder/src/main.ts')], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...SETTINGS, LR_NATS_URL: natsUrl, LR_DATA_DIR: dataDir, LR_SPOOL_DIR: tempDir(`spool-${id}`), LR_WORKER_ID: id, LR_RELAXED_LIMITS: '1' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

describe('takeover - a worker dies mid-push; nothing recorded is lost', () => {
  it('SIGKILL the owner of the streams: one file per format each, every video packet, no discontinuity', async () => {
    const sys = await startSystem({ ...SETTINGS, LR_EMBEDDED_SERVICES: 'index,storage-uploader,notifier,splice-timer,matcher,ingest,api' });
    const workers: Record<string, Worker> = { w1: startWorker(sys.natsUrl, sys.dataDir, 'w1'), w2: startWorker(sys.natsUrl, sys.dataDir, 'w2') };
    const nc = await connect({ servers: sys.natsUrl });
    try {
      for (const [id, w] of Object.entries(workers)) await waitFor(`worker ${id} ready`, () => w.out().includes('recorder worker ready'), 30000, 100);
      const leases = await new Kvm(jetstream(nc)).open('lr_leases');
      const source = makeTestMedia('h264-aac', 20);
      const src = videoPacketHashes(source);
      const pushes = STREAMS.map((s) => push(source, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/${s}`));

      const owners = await waitFor('an owner for every stream', async () => {
        const o: string[] = [];
        for (const s of STREAMS) {
          const e = await leases.get(streamToken({ domain: 'localhost', app: 'live', stream: s }));
          if (!e || e.operation !== 'PUT') return null;
          o.push(e.string());
        }
        return o;
      }, 20000);
      const segmentsOf = (s: string) => {
        const dir = join(sys.storageRoot, 'record/live', s);
        return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).length : 0;
      };
      // Mid-push: every recording has stored a few segments and is writing the next.
      await waitFor('recordings under way', () => STREAMS.every((s) => segmentsOf(s) >= 2), 30000);
      const victim = owners.filter((o) => o === 'w1').length >= owners.filter((o) => o === 'w2').length ? 'w1' : 'w2';
      const survivor = victim === 'w1' ? 'w2' : 'w1';
      const adopted = STREAMS.filter((_, i) => owners[i] === victim);
      workers[victim].proc.kill('SIGKILL');
      await waitFor('the survivor owns every stream', async () => {
        for (const s of adopted) {
          const e = await leases.get(streamToken({ domain: 'localhost', app: 'live', stream: s }));
          if (e?.operation !== 'PUT' || e.string() !== survivor) return false;
        }
        return true;
      }, 20000, 200);
      assert.deepEqual(await Promise.all(pushes.map((p) => p.done)), STREAMS.map(() => 0), 'every push completed');

      for (const s of STREAMS) {
        const dir = join(sys.storageRoot, 'record/live', s);
        const list = (ext: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)) : []);
        const [m3u8] = await waitFor(`${s}: its playlist`, () => list('.m3u8').length > 0 && list('.m3u8'), 45000, 250);
        const [flv] = await waitFor(`${s}: its flv`, () => list('.flv').length > 0 && list('.flv'), 45000, 250);
        assert.equal(list('.m3u8').length, 1, `${s}: one playlist`);
        assert.equal(list('.flv').length, 1, `${s}: one flv`);
        const text = readFileSync(join(dir, m3u8), 'utf8');
        assert.doesNotMatch(text, /#EXT-X-DISCONTINUITY/, `${s} (owner ${owners[STREAMS.indexOf(s)]}): no discontinuity\n${text}`);
        assert.deepEqual(videoPacketHashes(join(dir, m3u8)), src, `${s}: the m3u8 holds every video packet of the push, in order`);
        assert.deepEqual(videoPacketHashes(join(dir, flv)), src, `${s}: the flv holds every video packet of the push, in order`);
      }
      assert.ok(adopted.length > 0, 'the killed worker owned streams');
      assert.match(workers[survivor].out(), /adopting an actor whose owner is gone/);
    } finally {
      for (const w of Object.values(workers)) w.proc.kill('SIGKILL');
      await nc.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
