// The processing worker against a real catalogue (SQLite), real local storage and
// real ffmpeg: a task renders and attaches its renditions; a failing one is retried
// with a growing delay and failed with its error after the last attempt; what
// cannot succeed (no group, workflow) fails at once; a finished task is not redone.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RetryLater, type AssetRegistration, type LibraryOps, type MediaAsset, type ProcessTask, type VodFileSettings } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { ffprobe, makeTestMedia, tempDir } from '../../../test-kit/index.js';
import { CatalogueStore } from '../../index/src/catalogue-store.js';
import { LibraryStore, type LibraryReadTables } from '../../index/src/library-store.js';
import { MAX_ATTEMPTS, ProcessWorker, backoffMs } from '../src/process-worker.js';

const storage = { kind: 'local' as const, bucket: '', endpoint: '' };
const settings: VodFileSettings = {
  format: 'flv', autoCompose: false, videoProcess: ['origin'], processMethod: 'transcode', processTemplateId: 'g', category: '', tags: [],
  templateId: 't', spaceId: '', storageLocation: '',
};

function asset(id: string, objectKey: string, o: Partial<VodFileSettings> = {}): AssetRegistration {
  return {
    assetId: id, title: 'cam', tags: [], categoryName: '', stream: { domain: 'localhost', app: 'live', stream: 'cam' }, recordingId: 'r', format: 'flv',
    source: 'record', recordId: null, sourceAssetIds: [], objectKey, storage, url: `http://h/${objectKey}`, size: 1, durationMs: 2000, width: 640,
    height: 360, startMs: 0, endMs: 2000, sequence: 0, settings: { ...settings, ...o },
  };
}

describe('processing worker', () => {
  let cat: CatalogueStore;
  let lib: LibraryStore;
  let worker: ProcessWorker;
  let root: string;
  let workDir: string;
  let makeWorker: () => ProcessWorker;
  const finished: ProcessTask[] = [];

  before(async () => {
    const dataDir = tempDir('libproc');
    cat = await CatalogueStore.open({ driver: 'sqlite', path: join(dataDir, 'c.sqlite') });
    lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
    const registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir }));
    root = join(dataDir, 'storage');
    mkdirSync(join(root, 'record/live/cam'), { recursive: true });
    copyFileSync(makeTestMedia('h264-aac', 2), join(root, 'record/live/cam/a.flv'));
    // The worker's catalogue calls go straight to the store here instead of through the index.
    const ops = {
      getTask: (q) => lib.getTask(q), getAsset: (q) => lib.getAsset(q), getGroup: (q) => lib.getGroup(q), updateTask: (q) => lib.updateTask(q),
      setAssetStatus: (q) => lib.setAssetStatus(q), attachRendition: (q) => lib.attachRendition(q),
    } as Pick<LibraryOps, 'getTask' | 'getAsset' | 'getGroup' | 'updateTask' | 'setAssetStatus' | 'attachRendition'> as LibraryOps;
    workDir = join(dataDir, 'work');
    makeWorker = () => new ProcessWorker(ops, registry, workDir, componentLogger('library-test'), async (task: ProcessTask, _a: MediaAsset) => {
      finished.push(task);
    });
    worker = makeWorker();
    await lib.addGroup({ id: 'g', name: 'small', templates: [{ definition: '180p', width: 320, height: 180, videoBitrateKbps: 0, audioBitrateKbps: 64, container: 'mp4' }] });
  });
  after(() => cat.close());

  const taskFor = async (assetId: string, groupId = 'g') => (await lib.createTask({ assetId, groupId, trigger: 'origin' })).task;

  it('renders every template of the group and attaches the renditions', async () => {
    await lib.registerAsset(asset('ok', 'record/live/cam/a.flv'));
    const task = await taskFor('ok');
    await worker.run({ taskId: task.taskId });
    const done = await lib.getTask({ taskId: task.taskId });
    assert.deepEqual([done?.status, done?.attempts, done?.error], ['succeeded', 1, '']);
    const a = await lib.getAsset({ assetId: 'ok' });
    assert.equal(a?.status, 'Normal');
    assert.equal(a?.renditions.length, 1);
    const r = a!.renditions[0];
    assert.deepEqual([r.definition, r.width, r.height, r.objectKey], ['180p', 320, 180, 'record/live/cam/a_g_180p.mp4']);
    const probe = ffprobe(join(root, r.objectKey));
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.deepEqual(finished.map((t) => [t.taskId, t.status]), [[task.taskId, 'succeeded']]);
    // A redelivered job of a finished task does nothing.
    await worker.run({ taskId: task.taskId });
    assert.equal(finished.length, 1);
  });

  it('retries a failing task with a growing delay, then fails it with the error', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('gone', 'record/live/cam/missing.flv'));
    const task = await taskFor('gone');
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      await assert.rejects(worker.run({ taskId: task.taskId }), (e: Error) => e instanceof RetryLater && e.delayMs === backoffMs(attempt));
      const t = await lib.getTask({ taskId: task.taskId });
      assert.deepEqual([t?.status, t?.attempts], ['queued', attempt]);
      assert.ok(t?.error);
    }
    await worker.run({ taskId: task.taskId });
    const t = await lib.getTask({ taskId: task.taskId });
    assert.deepEqual([t?.status, t?.attempts], ['failed', MAX_ATTEMPTS]);
    assert.equal(t?.error, 'could not read record/live/cam/missing.flv from storage: ENOENT');
    assert.equal((await lib.getAsset({ assetId: 'gone' }))?.status, 'ProcessFailed');
    assert.deepEqual(finished.map((x) => x.status), ['failed']);
  });

  const atOnce: [string, () => Promise<ProcessTask>, RegExp][] = [
    ['an unknown template group', async () => {
      await lib.registerAsset(asset('nogroup', 'record/live/cam/a.flv'));
      return taskFor('nogroup', 'nosuchgroup');
    }, /transcode template group nosuchgroup does not exist/],
    ['workflow processing', async () => {
      await lib.registerAsset(asset('wf', 'record/live/cam/a.flv', { processMethod: 'workflow' }));
      return taskFor('wf');
    }, /workflow is not available/],
  ];
  for (const [what, make, error] of atOnce) {
    it(`fails ${what} at once, without retrying`, async () => {
      finished.length = 0;
      const task = await make();
      await worker.run({ taskId: task.taskId });
      const t = await lib.getTask({ taskId: task.taskId });
      assert.deepEqual([t?.status, t?.attempts], ['failed', 0]);
      assert.match(t?.error ?? '', error);
      assert.equal(finished.length, 1);
    });
  }

  it('a worker stopping puts its running task back in the queue without counting the attempt', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('stopped', 'record/live/cam/a.flv'));
    const task = await taskFor('stopped');
    const w = makeWorker();
    const running = w.run({ taskId: task.taskId });
    w.abort();
    await assert.rejects(running, (e: Error) => e instanceof RetryLater && /interrupted/.test(e.message));
    const t = await lib.getTask({ taskId: task.taskId });
    assert.deepEqual([t?.status, t?.attempts, t?.error], ['queued', 0, 'interrupted: the worker stopped']);
    assert.equal(finished.length, 0);
    // Another worker takes the redelivered job and does it.
    await worker.run({ taskId: task.taskId });
    assert.equal((await lib.getTask({ taskId: task.taskId }))?.status, 'succeeded');
  });

  it('leaves nothing in its work folder', () => {
    assert.deepEqual(readdirSync(workDir), []);
  });
});
