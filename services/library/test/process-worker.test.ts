// The processing worker against a real catalogue (SQLite), real local storage and
// real ffmpeg: a task renders and attaches its renditions; a failing one is retried
// with a growing delay and failed with its error after the last attempt; what
// cannot succeed (no group, workflow) fails at once; a finished task is not redone,
// but its event is published again (it may have been lost); a worker stopping kills
// its ffmpeg; a video deleted while it is processed keeps no rendition.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RetryLater, type AssetRegistration, type LibraryOps, type MediaAsset, type ProcessTask, type VodFileSettings } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { ffprobe, makeTestMedia, tempDir, waitFor } from '../../../test-kit/index.js';
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
  /** A worker whose catalogue calls are the store's, some replaced. */
  let makeWorkerWith: (o: Partial<LibraryOps>) => ProcessWorker;
  const finished: ProcessTask[] = [];
  /** Set: the next process_finished publish fails with it (the broker was unreachable). */
  let publishFails: Error | null = null;

  before(async () => {
    const dataDir = tempDir('libproc');
    cat = await CatalogueStore.open({ driver: 'sqlite', path: join(dataDir, 'c.sqlite') });
    lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
    const registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir }));
    root = join(dataDir, 'storage');
    mkdirSync(join(root, 'record/live/cam'), { recursive: true });
    copyFileSync(makeTestMedia('h264-aac', 2), join(root, 'record/live/cam/a.flv'));
    copyFileSync(makeTestMedia('h264-aac', 2), join(root, 'record/live/cam/late.flv'));
    // Long enough that its transcode is still running when a test acts on it.
    copyFileSync(makeTestMedia('h264-aac', 10), join(root, 'record/live/cam/long.flv'));
    copyFileSync(makeTestMedia('h264-aac', 10), join(root, 'record/live/cam/doomed.flv'));
    // The worker's catalogue calls go straight to the store here instead of through the index.
    const ops = {
      getTask: (q) => lib.getTask(q), getAsset: (q) => lib.getAsset(q), getGroup: (q) => lib.getGroup(q), updateTask: (q) => lib.updateTask(q),
      setAssetStatus: (q) => lib.setAssetStatus(q), attachRendition: (q) => lib.attachRendition(q),
    } as Pick<LibraryOps, 'getTask' | 'getAsset' | 'getGroup' | 'updateTask' | 'setAssetStatus' | 'attachRendition'> as LibraryOps;
    workDir = join(dataDir, 'work');
    makeWorkerWith = (o) => new ProcessWorker({ ...ops, ...o }, registry, workDir, componentLogger('library-test'), async (task: ProcessTask, _a: MediaAsset) => {
      const failure = publishFails;
      publishFails = null;
      if (failure) throw failure;
      finished.push(task);
    });
    makeWorker = () => makeWorkerWith({});
    worker = makeWorker();
    await lib.addGroup({ id: 'g', name: 'small', templates: [{ definition: '180p', width: 320, height: 180, videoBitrateKbps: 0, audioBitrateKbps: 64, container: 'mp4' }] });
    await lib.addGroup({ id: 'big', name: 'large', templates: [{ definition: '720p', width: 1280, height: 720, videoBitrateKbps: 0, audioBitrateKbps: 64, container: 'mp4' }] });
  });
  after(() => cat.close());

  const taskFor = async (assetId: string, groupId = 'g') => (await lib.createTask({ assetId, groupId, trigger: 'origin' })).task;

  /** The pid of the ffmpeg this process runs for a task (a child of this test process), once it exists. */
  const runningFfmpeg = (taskId: string) => waitFor(`ffmpeg of task ${taskId} running`, () => {
    const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    const line = children.split('\n').find((l) => /^\s*\d+\s+\S*\bffmpeg\s/.test(l) && l.includes(`task-${taskId}-`));
    return line ? Number(line.trim().split(/\s+/)[0]) : null;
  }, 30000, 20);
  const isChild = (pid: number) => execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').some((l) => Number(l.trim()) === pid);

  it('renders every template of the group and attaches the renditions', async () => {
    await lib.registerAsset(asset('ok', 'record/live/cam/a.flv'));
    const task = await taskFor('ok');
    // The task is marked succeeded, then its event's publish fails: the job is redelivered.
    publishFails = new Error('publish failed: no responders');
    await assert.rejects(worker.run({ taskId: task.taskId }), /publish failed/);
    assert.equal((await lib.getTask({ taskId: task.taskId }))?.status, 'succeeded');
    assert.equal(finished.length, 0);
    // The redelivered job renders nothing again but publishes the event that was lost.
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
    // Another redelivery publishes it again: its msgID (process_finished:{taskId}) and the
    // notifier's delivery ledger make the copies one callback. Nothing is rendered again.
    const before = (await lib.getAsset({ assetId: 'ok' }))!.renditions[0].createdMs;
    await worker.run({ taskId: task.taskId });
    assert.deepEqual(finished.map((t) => [t.taskId, t.status, t.attempts]), [[task.taskId, 'succeeded', 1], [task.taskId, 'succeeded', 1]]);
    assert.equal((await lib.getAsset({ assetId: 'ok' }))!.renditions[0].createdMs, before);
  });

  it('a failed task\'s lost event is published by the redelivered job', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('failpub', 'record/live/cam/a.flv'));
    const task = await taskFor('failpub', 'nosuchgroup');
    publishFails = new Error('publish failed: timeout');
    await assert.rejects(worker.run({ taskId: task.taskId }), /publish failed/);
    assert.equal((await lib.getTask({ taskId: task.taskId }))?.status, 'failed');
    await worker.run({ taskId: task.taskId });
    assert.deepEqual(finished.map((t) => [t.taskId, t.status]), [[task.taskId, 'failed']]);
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

  it('a worker stopping kills its running ffmpeg and puts the task back in the queue without counting the attempt', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('stopped', 'record/live/cam/long.flv'));
    const task = await taskFor('stopped', 'big');
    const w = makeWorker();
    const running = w.run({ taskId: task.taskId });
    const pid = await runningFfmpeg(task.taskId);
    assert.equal((await lib.getTask({ taskId: task.taskId }))?.status, 'running');
    w.abort();
    await assert.rejects(running, (e: Error) => e instanceof RetryLater && /interrupted/.test(e.message));
    assert.ok(!isChild(pid), `ffmpeg ${pid} is gone`);
    const t = await lib.getTask({ taskId: task.taskId });
    assert.deepEqual([t?.status, t?.attempts, t?.error], ['queued', 0, 'interrupted: the worker stopped']);
    assert.equal(finished.length, 0);
    // Another worker takes the redelivered job and does it.
    await worker.run({ taskId: task.taskId });
    assert.equal((await lib.getTask({ taskId: task.taskId }))?.status, 'succeeded');
    assert.equal((await lib.getAsset({ assetId: 'stopped' }))?.renditions[0]?.height, 720);
  });

  it('a video deleted while it is processed keeps no rendition: neither the row nor the object', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('deleted', 'record/live/cam/doomed.flv'));
    const task = await taskFor('deleted', 'big');
    const running = worker.run({ taskId: task.taskId });
    await runningFfmpeg(task.taskId);
    // DeleteVideo's catalogue step (the index then deletes the objects it answers: no rendition yet).
    const { removed } = await lib.removeAssets(['deleted']);
    assert.deepEqual(removed.map((a) => [a.assetId, a.renditions.length]), [['deleted', 0]]);
    await running;
    const key = 'record/live/cam/doomed_big_720p.mp4';
    assert.ok(!existsSync(join(root, key)), 'the rendition object was deleted again');
    const rows = await cat.db.withTables<LibraryReadTables>().selectFrom('media_renditions').selectAll().where('asset_id', '=', 'deleted').execute();
    assert.deepEqual(rows, [], 'no rendition row of the deleted video');
    assert.equal(await lib.getTask({ taskId: task.taskId }), null);
    assert.equal(finished.length, 0);
  });

  it('a video deleted between the check and the attach: the catalogue refuses the rendition, its object is deleted', async () => {
    finished.length = 0;
    await lib.registerAsset(asset('late', 'record/live/cam/late.flv'));
    const task = await taskFor('late');
    const racing = makeWorkerWith({ attachRendition: async (r) => {
      assert.ok(existsSync(join(root, r.objectKey)), 'stored before it is attached');
      await lib.removeAssets([r.assetId]);
      return lib.attachRendition(r);
    } });
    await racing.run({ taskId: task.taskId });
    assert.ok(!existsSync(join(root, 'record/live/cam/late_g_180p.mp4')), 'the rendition object was deleted again');
    assert.equal(finished.length, 0);
    const rows = await cat.db.withTables<LibraryReadTables>().selectFrom('media_renditions').selectAll().where('asset_id', '=', 'late').execute();
    assert.deepEqual(rows, []);
  });

  it('leaves nothing in its work folder', () => {
    assert.deepEqual(readdirSync(workDir), []);
  });
});
