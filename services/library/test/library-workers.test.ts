// Two library workers as separate processes (services/library/src/main.ts) sharing one broker
// (a real nats-server), one catalogue (SQLite, served by the index's library operations in
// this process) and one storage root, with real ffmpeg: the stored files of a media-library
// recording are registered once each and their processing tasks shared out (both workers
// transcode at once); the worker running a task is SIGKILLed mid-transcode, and its job is
// redelivered to the other, which finishes it. Every task ends once: one rendition set, one
// process_finished publish; the killed attempt counts (a crash cannot be told from a task
// killing its worker), and storage holds nothing but the originals and their renditions.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Subscription } from '@nats-io/transport-node';
import { STREAMS, SUBJECTS, publishDurable, subscribeJson, type Bus, type FileStored, type ProcessFinished, type VodFileSettings } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { REPO_ROOT, makeTestMedia, startNats, tempDir, waitFor, type TestNats } from '../../../test-kit/index.js';
import { CatalogueStore } from '../../index/src/catalogue-store.js';
import { serveLibrary } from '../../index/src/library-rpc.js';
import { LibraryStore, type LibraryReadTables } from '../../index/src/library-store.js';
import { originalAssetId } from '../src/asset-registration.js';

const FILES = 4;
const ACK_WAIT_MS = 3000;
const DIR = 'record/live/cam';
const settings: VodFileSettings = {
  format: 'flv', autoCompose: false, videoProcess: ['origin'], processMethod: 'transcode', processTemplateId: 'g', category: '', tags: [],
  templateId: 't', spaceId: '', storageLocation: '',
};

interface Worker { id: string; dataDir: string; proc: ChildProcess; out: () => string; exited: Promise<void> }

function startWorker(id: string, natsUrl: string, storageRoot: string): Worker {
  const dataDir = tempDir(`libworker-${id}`);
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services/library/src/main.ts')], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LR_NATS_URL: natsUrl, LR_DATA_DIR: dataDir, LR_STORAGE_ROOT: storageRoot, LR_LIBRARY_JOB_ACK_WAIT_MS: String(ACK_WAIT_MS), LR_LOG_FORMAT: 'json' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { id, dataDir, proc, out: () => out, exited };
}

/** The ffmpeg processes transcoding in a worker's work folder (found by their arguments: a killed worker's are re-parented). */
function transcodes(w: Worker): { pid: number; taskId: string }[] {
  const lines = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n');
  const out: { pid: number; taskId: string }[] = [];
  for (const l of lines) {
    const m = /^\s*(\d+)\s+\S*ffmpeg\s.*\/library-work\/task-(t[0-9a-f]+)-\d+\//.exec(l);
    if (m && l.includes(w.dataDir)) out.push({ pid: Number(m[1]), taskId: m[2] });
  }
  return out;
}

/** Log lines of a worker with this message. */
function logged(w: Worker, msg: string): Record<string, unknown>[] {
  return w.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
}

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name))])).sort();
}

describe('library workers sharing jobs (separate processes)', () => {
  let nats: TestNats;
  let bus: Bus;
  let cat: CatalogueStore;
  let lib: LibraryStore;
  let serving: { stop(): void }[] = [];
  let storageRoot: string;
  const workers: Worker[] = [];
  const subscriptions: Subscription[] = [];

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('library-workers-test');
    const dataDir = tempDir('libworkers');
    storageRoot = join(dataDir, 'storage');
    mkdirSync(join(storageRoot, DIR), { recursive: true });
    cat = await CatalogueStore.open({ driver: 'sqlite', path: join(dataDir, 'c.sqlite') });
    lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
    const registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir, LR_STORAGE_ROOT: storageRoot }));
    const log = componentLogger('index');
    // The index's part: the library's catalogue operations.
    serving = serveLibrary(bus, cat.db, { store: cat, backendFor: (t) => registry.backendFor(t), log }, log, 'index');
    await lib.addGroup({ id: 'g', name: 'two', templates: [
      { definition: '180p', width: 320, height: 180, videoBitrateKbps: 0, audioBitrateKbps: 64, container: 'mp4' },
      { definition: '360p', width: 640, height: 360, videoBitrateKbps: 0, audioBitrateKbps: 64, container: 'mp4' },
    ] });
  });

  after(async () => {
    for (const w of workers) {
      if (w.proc.exitCode === null && w.proc.signalCode === null) {
        w.proc.kill('SIGTERM');
        await w.exited;
      }
    }
    for (const s of subscriptions) s.unsubscribe();
    for (const s of serving) s.stop();
    await nats?.stop();
    await cat?.close();
  });

  it('tasks are shared and each done once; a killed worker\'s task is finished by the other', async () => {
    // The recorder's stored files of a media-library recording, as the uploader announces them,
    // waiting for the library: a backlog.
    const media = makeTestMedia('h264-aac', 6);
    for (let seq = 0; seq < FILES; seq++) {
      const key = `${DIR}/rec_${seq}.flv`;
      copyFileSync(media, join(storageRoot, key));
      const ev: FileStored = {
        objectKey: key, storage: { kind: 'local', bucket: '', endpoint: '' }, size: 1, sha256: 'x', url: `http://h/${key}`,
        file: {
          stream: { domain: 'localhost', app: 'live', stream: 'cam' }, recordingId: 'rec', format: 'flv', sequence: seq, startMs: seq * 6000, endMs: (seq + 1) * 6000,
          durationMs: 6000, width: 640, height: 360, segmentKeys: [], pushArgs: {}, vod: settings,
        },
      };
      await publishDurable(bus, SUBJECTS.fileStored, ev, `file:rec:flv:${seq}`);
    }
    const assetIds = Array.from({ length: FILES }, (_, seq) => originalAssetId('rec', 'flv', seq));
    // Every publish of process_finished (a core subscription sees those the stream drops as duplicates too).
    const announced: ProcessFinished[] = [];
    subscriptions.push(subscribeJson<ProcessFinished>(bus, SUBJECTS.libraryProcessFinished, 'process_finished', componentLogger('test'), (ev) => announced.push(ev)));
    // One worker starts, registers the files and queues their tasks; the second comes up later
    // and still gets its share (the first does not hold the queue's jobs while it works on one).
    workers.push(startWorker('a', nats.url, storageRoot));
    await waitFor('worker a ready', () => logged(workers[0], 'media library ready').length > 0, 30000, 100);
    await waitFor('the backlog registered', () => logged(workers[0], 'media asset registered').length === FILES, 30000, 100);
    workers.push(startWorker('b', nats.url, storageRoot));

    // Both workers transcode at once: the queue is shared, not taken by the first to pull.
    const [a, b] = workers;
    const both = await waitFor('both workers transcoding at once', () => {
      const [ta, tb] = [transcodes(a), transcodes(b)];
      return ta.length > 0 && tb.length > 0 ? { a: ta[0], b: tb[0] } : null;
    }, 30000, 20);
    assert.notEqual(both.a.taskId, both.b.taskId, 'different tasks');
    const killed = both.a;
    a.proc.kill('SIGKILL');
    await a.exited;

    const tasks = await waitFor('every task finished', async () => {
      const all = [];
      for (const id of assetIds) all.push(...(await lib.listTasks({ assetId: id, status: null, pageNum: 1, pageSize: 10 })).items);
      return all.length === FILES && all.every((t) => t.status === 'succeeded' || t.status === 'failed') ? all : null;
    }, 45000, 200);
    assert.deepEqual(tasks.map((t) => t.status), Array(FILES).fill('succeeded'));
    // The killed attempt counts: a crash cannot be told from a task that kills its worker, which MAX_ATTEMPTS bounds.
    const attempts = Object.fromEntries(tasks.map((t) => [t.taskId, t.attempts]));
    assert.deepEqual(attempts, Object.fromEntries(tasks.map((t) => [t.taskId, t.taskId === killed.taskId ? 2 : 1])));
    assert.deepEqual(tasks.map((t) => t.error), Array(FILES).fill(''));

    // Each task announced once (every publish, duplicates the broker would drop included), the killed one finished by the survivor.
    await waitFor('every process_finished published', () => announced.length >= FILES, 10000, 50);
    assert.deepEqual(announced.map((e) => [e.task.taskId, e.task.status]).sort(), tasks.map((t) => [t.taskId, 'succeeded']).sort(), 'one process_finished per task');
    await waitFor('the survivor\'s success log of the killed task', () => logged(b, 'processing task succeeded').some((l) => l.taskId === killed.taskId), 10000, 100);
    // One registration per file, whichever worker took its event.
    const registered = workers.flatMap((w) => logged(w, 'media asset registered').map((l) => l.assetId as string));
    assert.deepEqual(registered.sort(), [...assetIds].sort());

    // One rendition set per task, and nothing else in storage: no leftover of the killed attempt.
    for (const id of assetIds) {
      const asset = await lib.getAsset({ assetId: id });
      assert.equal(asset?.status, 'Normal');
      assert.deepEqual(asset?.renditions.map((r) => [r.definition, r.height]), [['180p', 180], ['360p', 360]].sort(), `renditions of ${id}`);
    }
    const expected = Array.from({ length: FILES }, (_, seq) => [`rec_${seq}.flv`, `rec_${seq}_g_180p.mp4`, `rec_${seq}_g_360p.mp4`]).flat().map((f) => `${DIR}/${f}`).sort();
    assert.deepEqual(filesUnder(storageRoot), expected);
    assert.deepEqual(readdirSync(join(b.dataDir, 'library-work')), [], 'the survivor left nothing in its work folder');

    // One process_finished per task in the events stream.
    const info = await bus.jsm.streams.info(STREAMS.events, { subjects_filter: SUBJECTS.libraryProcessFinished });
    assert.equal(info.state.subjects?.[SUBJECTS.libraryProcessFinished], FILES);

    // The killed worker's ffmpeg, orphaned, ends by itself (it writes only to the dead worker's work folder).
    await waitFor('the killed worker\'s ffmpeg gone', () => transcodes(a).length === 0, 30000, 200);
  });
});
