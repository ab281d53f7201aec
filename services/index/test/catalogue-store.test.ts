// The same catalogue suite on SQLite and on a throwaway PostgreSQL.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileStored, SegmentStored, StreamRef } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { rootLogger } from '../../../libs/telemetry/index.js';
import { startPostgres, tempDir, type ThrowawayPostgres } from '../../../test-kit/index.js';
import type { ClipSegment } from '../src/catalogue-schema.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { contentRanges, inIndexFile } from '../src/index-file.js';
import { sweepExpired } from '../src/retention.js';

const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 's1' };
const T0 = Date.UTC(2026, 10, 1);
const DAY = 24 * 3600 * 1000;
const storage = { kind: 'local' as const, bucket: '', endpoint: '' };

function file(recordingId: string, sequence: number, startMs: number, durationMs: number, s = stream, segmentKeys: string[] = []): FileStored {
  return {
    objectKey: `record/${s.app}/${s.stream}/${recordingId}_${sequence}.m3u8`, storage, size: 100, sha256: 'x', url: 'http://h/k',
    file: { stream: s, recordingId, format: 'm3u8', sequence, startMs, endMs: startMs + durationMs, durationMs, width: 640, height: 360, segmentKeys, pushArgs: {} },
  };
}

function segment(recordingId: string, sequence: number, startMs: number, durationMs = 10_000, discontinuity = false): SegmentStored {
  return {
    objectKey: `record/live/s1/${recordingId}_${sequence}.ts`, storage, size: 1, sha256: 'y', url: `http://h/record/live/s1/${recordingId}_${sequence}.ts`,
    segment: { stream, recordingId, sequence, startMs, endMs: startMs + durationMs, durationMs, discontinuity },
  };
}

function catalogueSuite(name: string, driver: () => Promise<CatalogueDriver>): void {
  describe(`catalogue store - ${name}`, () => {
    let store: CatalogueStore;
    before(async () => {
      store = await CatalogueStore.open(await driver());
      for (let i = 0; i < 10; i++) await store.addFile(file('recA', i, T0 + i * 3600_000, 3600_000));
      await store.addFile(file('recB', 0, T0, 60_000, { ...stream, stream: 's2' }));
    });
    after(() => store.close());

    it('lists the files overlapping a range, paged and ordered', async () => {
      const q = { stream, startMs: T0 + 2 * 3600_000 + 1, endMs: T0 + 5 * 3600_000 + 1, pageNum: 1, pageSize: 2, order: 'asc' as const };
      const p1 = await store.describeFiles(q);
      assert.equal(p1.total, 4);
      assert.deepEqual(p1.files.map((f) => f.sequence), [2, 3]);
      const p2 = await store.describeFiles({ ...q, pageNum: 2 });
      assert.deepEqual(p2.files.map((f) => f.sequence), [4, 5]);
      const desc = await store.describeFiles({ ...q, order: 'desc', pageSize: 10 });
      assert.deepEqual(desc.files.map((f) => f.sequence), [5, 4, 3, 2]);
      assert.equal(typeof desc.files[0].startMs, 'number');
    });

    it('keeps streams apart', async () => {
      const r = await store.describeFiles({ stream: { ...stream, stream: 's2' }, startMs: 0, endMs: T0 * 2, pageNum: 1, pageSize: 100, order: 'asc' });
      assert.equal(r.total, 1);
      assert.equal(r.files[0].recordingId, 'recB');
    });

    it('inserting the same stored event twice is harmless', async () => {
      const id1 = await store.addFile(file('recA', 0, T0, 3600_000));
      assert.equal((await store.describeFile(id1))?.sequence, 0);
      const all = await store.describeFiles({ stream, startMs: 0, endMs: T0 * 2, pageNum: 1, pageSize: 100, order: 'asc' });
      assert.equal(all.total, 10);
      const seg = segment('recZ', 0, T0);
      await store.addSegment(seg);
      await store.addSegment(seg);
      assert.equal(await store.countSegments(), 1);
      assert.equal(await store.describeFile('nope'), null);
    });

    it('segments for clips and content; deletion keeps segments another record uses', async () => {
      // Two recordings of 3 segments each, 100 s apart.
      for (let i = 0; i < 3; i++) await store.addSegment(segment('r1', i, T0 + DAY + i * 10_000));
      for (let i = 0; i < 3; i++) await store.addSegment(segment('r2', i, T0 + DAY + 130_000 + i * 10_000));
      const keys1 = [0, 1, 2].map((i) => `record/live/s1/r1_${i}.ts`);
      await store.addFile(file('r1', 0, T0 + DAY, 30_000, stream, keys1));
      const rows: ClipSegment[] = [];
      await store.eachClipSegment(stream, T0 + DAY + 5_000, T0 + DAY + 145_000, storage, (r) => rows.push(r));
      assert.deepEqual(rows.map((r) => r.object_key), ['r1_0', 'r1_1', 'r1_2', 'r2_0', 'r2_1'].map((k) => `record/live/s1/${k}.ts`));
      assert.deepEqual(rows.map((r) => r.url), [null, null, null, null, null], 'the same target: no URL, a relative key');
      assert.deepEqual(rows.filter((r) => inIndexFile(r, T0 + DAY + 5_000, T0 + DAY + 145_000, false)).map((r) => r.object_key.slice(-7)), ['r1_0.ts', 'r1_1.ts', 'r1_2.ts', 'r2_0.ts']);
      const elsewhere: ClipSegment[] = [];
      await store.eachClipSegment(stream, T0 + DAY, T0 + DAY + 10_000, { kind: 's3', bucket: 'clips', endpoint: '' }, (r) => elsewhere.push(r));
      assert.deepEqual(elsewhere.map((r) => r.url), ['http://h/record/live/s1/r1_0.ts'], 'another target: the URL');
      assert.deepEqual(contentRanges(rows, T0 + DAY, T0 + DAY + 1_000_000), [
        { startMs: T0 + DAY, endMs: T0 + DAY + 30_000 }, { startMs: T0 + DAY + 130_000, endMs: T0 + DAY + 150_000 },
      ]);
      // A clip holding r1's last segment keeps it alive when r1's file record goes.
      await store.addIndexFile(file('clip', 0, T0 + DAY + 20_000, 10_000), { startMs: T0 + DAY + 20_000, endMs: T0 + DAY + 30_000 }, Date.now(), 'clip-m3u8-0');
      const orphans = await store.removeFile('r1-m3u8-0');
      assert.deepEqual(orphans.sort(), keys1.slice(0, 2));
      assert.equal(await store.fileRow('r1-m3u8-0'), undefined);
      assert.equal(await store.isSegmentReferenced(keys1[2]), true);
      assert.deepEqual(await store.removeFile('clip-m3u8-0'), [keys1[2]], 'the clip was the last to reference it');
    });

    it('retention expires records by age, per domain, keeping objects still referenced', async () => {
      const sweepStore = await CatalogueStore.open(await driver());
      const other: StreamRef = { domain: 'short.example', app: 'live', stream: 'x' };
      await sweepStore.addFile(file('old', 0, T0, 1000, stream));
      await sweepStore.addFile(file('new', 0, T0 + 150 * DAY, 1000, stream));
      await sweepStore.addFile(file('shortlived', 0, T0 + 150 * DAY, 1000, other));
      await sweepStore.addSegment(segment('old', 0, T0));
      await sweepStore.addSegment(segment('new', 0, T0 + 150 * DAY));
      const registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: tempDir('ret') }));
      const deps = { store: sweepStore, backendFor: (t: typeof storage) => registry.backendFor(t), log: rootLogger() };
      const policy = { fileDays: 180, segmentDays: 90, domains: { 'short.example': { fileDays: 10, segmentDays: 5 } }, deleteObjects: false };
      const now = T0 + 185 * DAY;
      const r = await sweepExpired(deps, policy, now);
      assert.deepEqual(r, { files: 2, segments: 1, objects: 0, runs: 1 }, 'the old recording\'s run expires with its file');
      assert.equal(await sweepStore.fileRow('old-m3u8-0'), undefined);
      assert.ok(await sweepStore.fileRow('new-m3u8-0'));
      assert.equal(await sweepStore.fileRow('shortlived-m3u8-0'), undefined);
      assert.equal(await sweepStore.countSegments(), 1);
      const again = await sweepExpired(deps, policy, now);
      assert.deepEqual(again, { files: 0, segments: 0, objects: 0, runs: 0 });
      await sweepStore.close();
    });
  });
}

catalogueSuite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('cat'), `c${Math.random()}.sqlite`) }));

let pg: ThrowawayPostgres | null = null;
let pgDb = 0;
catalogueSuite('postgresql', async () => {
  pg ??= await startPostgres();
  // Each store of the suite gets a database of its own.
  const { default: pgModule } = await import('pg');
  const admin = new pgModule.Client({ connectionString: pg.url });
  await admin.connect();
  const name = `cat${++pgDb}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return { driver: 'postgres', url: pg.url.replace(/\/postgres$/, `/${name}`) };
});
after(() => pg?.stop());

describe('index files - pure rules', () => {
  const row = (start: number, dur = 10_000) => ({ start_ms: start, end_ms: start + dur });
  it('end_time_included takes the segment that contains the end', () => {
    const rows = [row(0), row(10_000), row(20_000)];
    assert.deepEqual(rows.filter((r) => inIndexFile(r, 5_000, 25_000, false)).map((r) => r.start_ms), [0, 10_000]);
    assert.deepEqual(rows.filter((r) => inIndexFile(r, 5_000, 25_000, true)).map((r) => r.start_ms), [0, 10_000, 20_000]);
  });
});
