// The uploader stores a recording's files after the segments they list (through ordering, not
// by polling storage), also across a restart, and re-uploads an object corrupted on the way.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONSUMERS, STREAMS, SUBJECTS, publishDurable, type Bus, type StorageTarget, type UploadJob } from '../../../libs/bus/index.js';
import { loadConfig, type Config } from '../../../libs/config/index.js';
import type { StorageHealthReport } from '../../../libs/runtime/index.js';
import { S3Storage, s3Client } from '../../../libs/storage/index.js';
import { EventLog, startCuttableProxy, startNats, startS3, tempDir, type CuttableProxy, type TestNats, type TestS3 } from '../../../test-kit/index.js';
import type { UploaderEvents } from '../src/upload-queue.js';
import { UploaderService } from '../src/uploader-service.js';

type Stored = UploaderEvents['stored'][0];
type Failed = UploaderEvents['failed'][0];
type Waiting = UploaderEvents['waiting'][0];

const stream = { domain: 'localhost', app: 'live', stream: 'ordered' };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(s: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('storage-uploader - order and integrity', () => {
  let nats: TestNats;
  let s3: TestS3;
  let proxy: CuttableProxy;
  let bus: Bus;
  let config: Config;
  let direct: S3Storage;
  const target: StorageTarget = { kind: 's3', bucket: 'rec', endpoint: '' };
  const spool = tempDir('upl-spool');
  const bytes = new Map<string, Buffer>();

  /** Writes a spool file and returns its upload job (not yet published). */
  function segmentJob(recordingId: string, sequence: number): UploadJob {
    const body = randomBytes(20_000 + sequence);
    const dir = join(spool, recordingId);
    mkdirSync(dir, { recursive: true });
    const spoolPath = join(dir, `seg${sequence}.ts`);
    writeFileSync(spoolPath, body);
    const objectKey = `record/live/ordered/${recordingId}_${sequence}.ts`;
    bytes.set(objectKey, body);
    return {
      kind: 'segment', id: `${recordingId}:seg:${sequence}`, spoolPath, objectKey, storage: target, contentType: 'video/mp2t',
      segment: { stream, recordingId, sequence, startMs: sequence * 2000, endMs: sequence * 2000 + 2000, durationMs: 2000, discontinuity: false },
    };
  }

  function fileJob(recordingId: string, segments: UploadJob[]): UploadJob {
    const spoolPath = join(spool, recordingId, 'index.m3u8');
    writeFileSync(spoolPath, `#EXTM3U\n${segments.map((s) => s.objectKey).join('\n')}\n`);
    return {
      kind: 'file', id: `${recordingId}:file:m3u8:0`, spoolPath, objectKey: `record/live/ordered/${recordingId}.m3u8`, storage: target,
      contentType: 'application/vnd.apple.mpegurl',
      file: {
        stream, recordingId, format: 'm3u8', sequence: 0, startMs: 0, endMs: segments.length * 2000, durationMs: segments.length * 2000,
        width: 640, height: 360, segmentKeys: segments.map((s) => s.objectKey), pushArgs: {},
      },
    };
  }

  const publish = (job: UploadJob) => publishDurable(bus, SUBJECTS.upload, job, job.id);

  async function startUploader(): Promise<{ uploader: UploaderService; log: EventLog }> {
    // A short acknowledgement deadline: a job held by a dead uploader comes back within seconds.
    const uploader = new UploaderService(bus, config, { ackWaitMs: 2000, recheckMs: 500 });
    const log = new EventLog(uploader.events, ['stored', 'failed', 'waiting']);
    await uploader.start();
    return { uploader, log };
  }

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('upload-test');
    s3 = await startS3();
    await s3.createBucket('rec');
    proxy = await startCuttableProxy(Number(new URL(s3.endpoint).port));
    config = loadConfig({ LR_DATA_DIR: tempDir('upl'), LR_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, LR_S3_ACCESS_KEY_ID: 'test', LR_S3_SECRET_ACCESS_KEY: 'test' });
    direct = new S3Storage(s3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: 8 << 20 }), 'rec', s3.endpoint, 8 << 20);
  });

  after(async () => {
    await nats?.stop();
    await proxy?.close();
    await s3?.stop();
  });

  it('a file waits for the segments it lists while storage is down, and is stored after them', async () => {
    const { uploader, log } = await startUploader();
    const health: StorageHealthReport[] = [];
    const sub = bus.nc.subscribe(SUBJECTS.storageHealth, { callback: (_err, m) => { health.push(m.json<StorageHealthReport>()); } });
    try {
      await proxy.cut();
      const segs = [segmentJob('recA', 0), segmentJob('recA', 1)];
      const file = fileJob('recA', segs);
      for (const j of [...segs, file]) await publish(j);
      const waiting = await log.until<Waiting>('waiting', (w) => w.job.id === file.id, 'the file to wait for its segments');
      assert.equal(waiting.earlier.length, 2, 'both segments are still queued');
      assert.ok(log.of<Failed>('failed').some((f) => f.job.kind === 'segment'), 'the segments failed while storage was away');
      assert.equal(log.of<Stored>('stored').length, 0);
      await proxy.restore();
      await log.until<Stored>('stored', (s) => s.job.id === file.id, 'the file stored');
      const order = log.of<Stored>('stored').map((s) => s.job.id);
      assert.deepEqual(order.slice(-1), [file.id], `the file after its segments: ${order.join(', ')}`);
      assert.deepEqual(order.slice(0, 2).sort(), segs.map((s) => s.id).sort());
      assert.deepEqual(proxy.requests().filter((r) => r.startsWith('HEAD ')), [], 'nothing polls storage for the segments');
      for (const s of segs) assert.equal(sha256(await readAll(await direct.read(s.objectKey))), sha256(bytes.get(s.objectKey)!));
      await bus.nc.flush();
      assert.deepEqual(health.map((h) => [h.target, h.ok]), [[`s3:http://127.0.0.1:${proxy.port}/rec`, false], [`s3:http://127.0.0.1:${proxy.port}/rec`, true]], '/healthz is told of the outage and of the recovery');
    } finally {
      sub.unsubscribe();
      await proxy.restore();
      await uploader.stop();
    }
  });

  it('after a restart, a file waits for an earlier job that a dead uploader still held', async () => {
    const seg = segmentJob('recB', 0);
    const file = fileJob('recB', [seg]);
    await publish(seg);
    await publish(file);
    // A dead uploader's delivery: taken and never acknowledged, so it comes back after the deadline.
    const consumer = await bus.js.consumers.get(STREAMS.uploads, CONSUMERS.uploader);
    const held = await consumer.next({ expires: 5000 });
    assert.equal(held?.json<UploadJob>().id, seg.id);
    const { uploader, log } = await startUploader();
    try {
      const waiting = await log.until<Waiting>('waiting', (w) => w.job.id === file.id, 'the file to find the held segment in the queue');
      assert.deepEqual(waiting.earlier, [held!.seq]);
      assert.equal(log.of<Stored>('stored', (s) => s.job.id === file.id).length, 0, 'not stored while its segment is held');
      await log.until<Stored>('stored', (s) => s.job.id === file.id, 'the file stored');
      assert.deepEqual(log.of<Stored>('stored').map((s) => s.job.id), [seg.id, file.id]);
      assert.ok(await direct.stat(seg.objectKey));
    } finally {
      await uploader.stop();
    }
  });

  it('an upload corrupted on the way is detected and uploaded again; the stored bytes are right', async () => {
    const { uploader, log } = await startUploader();
    try {
      const seg = segmentJob('recC', 0);
      const corrupted = proxy.corruptNextPut();
      await publish(seg);
      assert.match(await corrupted, /recC_0\.ts/);
      const failed = await log.until<Failed>('failed', (f) => f.job.id === seg.id, 'the corruption detected');
      assert.equal(failed.corrupt, true);
      const stored = await log.until<Stored>('stored', (s) => s.job.id === seg.id, 'the segment stored again');
      const want = sha256(bytes.get(seg.objectKey)!);
      assert.equal(stored.outcome.outcome === 'stored' && stored.outcome.info.sha256, want);
      assert.equal(sha256(await readAll(await direct.read(seg.objectKey))), want, 'the server holds the right bytes');
    } finally {
      await uploader.stop();
    }
  });
});
