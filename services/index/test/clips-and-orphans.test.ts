// Created index files at scale, deletion of the segments they leave unreferenced (from the
// segments' own bucket), and the upgrade of a catalogue made by the first schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { FileStored, SegmentStored, StorageTarget, StreamRef } from '../../../libs/bus/index.js';
import { LocalDiskStorage, sha256Bytes, type StorageBackend, type VerifiedPut } from '../../../libs/storage/index.js';
import { rootLogger } from '../../../libs/telemetry/index.js';
import { tempDir } from '../../../test-kit/index.js';
import { migrate } from '../src/catalogue-migrations.js';
import type { CatalogueDb } from '../src/catalogue-schema.js';
import { CatalogueStore } from '../src/catalogue-store.js';
import { createIndexFile } from '../src/index-file-creator.js';
import { deleteRecords } from '../src/record-deletion.js';
import { sweepExpired } from '../src/retention.js';

const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 'long' };
const T0 = Date.UTC(2026, 10, 1);
const DAY = 24 * 3600 * 1000;
const REC: StorageTarget = { kind: 's3', bucket: 'rec', endpoint: '' };
const CLIPS: StorageTarget = { kind: 's3', bucket: 'clips', endpoint: '' };

const sqlitePath = () => join(tempDir('clip'), 'catalogue.sqlite');

function segment(recordingId: string, sequence: number, startMs: number, target: StorageTarget, durationMs = 2000): SegmentStored {
  const objectKey = `record/live/long/${recordingId}_${sequence}.ts`;
  return {
    objectKey, storage: target, size: 1, sha256: 'y', url: `http://s3/${target.bucket}/${objectKey}`,
    segment: { stream, recordingId, sequence, startMs, endMs: startMs + durationMs, durationMs, discontinuity: false },
  };
}

function file(recordingId: string, startMs: number, durationMs: number, target: StorageTarget, segmentKeys: string[]): FileStored {
  return {
    objectKey: `record/live/long/${recordingId}.m3u8`, storage: target, size: 1, sha256: 'x', url: 'http://s3/f',
    file: { stream, recordingId, format: 'm3u8', sequence: 0, startMs, endMs: startMs + durationMs, durationMs, width: 640, height: 360, segmentKeys, pushArgs: {} },
  };
}

/** Buckets that only remember what was written to and deleted from them. */
function fakeBuckets(): { backendFor(t: StorageTarget): StorageBackend; deleted: string[]; written: string[] } {
  const deleted: string[] = [];
  const written: string[] = [];
  return {
    deleted,
    written,
    backendFor: (t) => ({
      kind: t.kind,
      put: async (): Promise<VerifiedPut> => { throw new Error('not used'); },
      putBytes: async (key, body) => {
        written.push(`${t.bucket}:${key}`);
        return { ...sha256Bytes(body), verifiedBy: 'read-back' };
      },
      stat: async () => null,
      exists: async () => false,
      read: async () => Readable.from([]),
      delete: async (key) => { deleted.push(`${t.bucket}:${key}`); },
      urlOf: (key) => `http://s3/${t.bucket}/${key}`,
    }),
  };
}

describe('index files - long clips and orphan segments', () => {
  it('a clip of 200 000 segments of one recording is written, catalogued and deleted', async () => {
    const store = await CatalogueStore.open({ driver: 'sqlite', path: sqlitePath() });
    const storage = new LocalDiskStorage(tempDir('clip-storage'), 'http://localhost/');
    try {
      const N = 200_000;
      for (let i = 0; i < N; i += 1000) {
        await store.db.insertInto('segments').values(Array.from({ length: Math.min(1000, N - i) }, (_, k) => {
          const s = segment('huge', i + k, T0 + (i + k) * 2000, { kind: 'local', bucket: '', endpoint: '' });
          return {
            segment_id: `huge-${i + k}`, domain: stream.domain, app: stream.app, stream: stream.stream, recording_id: 'huge', sequence: i + k,
            object_key: s.objectKey, storage_kind: 'local', bucket: '', endpoint: '', url: s.url, start_ms: s.segment.startMs, end_ms: s.segment.endMs,
            duration_ms: 2000, discontinuity: 0, size: 1, sha256: '', created_ms: 0,
          };
        })).execute();
      }
      const r = await createIndexFile({ stream, startMs: T0, endMs: T0 + N * 2000, endIncluded: false, target: { kind: 'local', bucket: '', endpoint: '' }, objectKey: 'clips/live/long/all.m3u8' },
        { store, backendFor: () => storage });
      assert.equal(r.segmentCount, N);
      assert.equal(r.discontinuityCount, 0);
      assert.equal(r.file.durationMs, N * 2000);
      const text = readFileSync(storage.pathOf('clips/live/long/all.m3u8'), 'utf8');
      assert.equal(text.match(/^#EXTINF:2\.000,$/gm)?.length, N);
      assert.ok(text.endsWith('../../../record/live/long/huge_199999.ts\n#EXT-X-ENDLIST\n'));
      const orphans = await store.removeFile(r.file.recordId);
      assert.equal(orphans.length, N, 'nothing else references them');
    } finally {
      await store.close();
    }
  });

  it('deletion removes segments nothing references any more from their own bucket, not the file\'s', async () => {
    const store = await CatalogueStore.open({ driver: 'sqlite', path: sqlitePath() });
    const buckets = fakeBuckets();
    const deps = { store, backendFor: buckets.backendFor, log: rootLogger() };
    try {
      const segs = [0, 1, 2].map((i) => segment('r1', i, T0 + i * 2000, REC));
      for (const s of segs) await store.addSegment(s);
      const keys = segs.map((s) => s.objectKey);
      await store.addFile(file('r1', T0, 6000, REC, keys));
      const clip = await createIndexFile({ stream, startMs: T0, endMs: T0 + 6000, endIncluded: false, target: CLIPS, objectKey: 'clips/r1.m3u8' }, deps);
      assert.deepEqual(buckets.written, ['clips:clips/r1.m3u8']);

      const first = await deleteRecords({ stream, recordIds: ['r1-m3u8-0'], removeFile: true }, deps);
      assert.deepEqual(first.results, [{ recordId: 'r1-m3u8-0', message: 'OK' }]);
      assert.deepEqual(buckets.deleted, ['rec:record/live/long/r1.m3u8'], 'the clip still uses every segment');

      buckets.deleted.length = 0;
      const second = await deleteRecords({ stream, recordIds: [clip.file.recordId], removeFile: true }, deps);
      assert.equal(second.deletedObjects, 4);
      assert.deepEqual(buckets.deleted.sort(), ['clips:clips/r1.m3u8', ...keys.map((k) => `rec:${k}`)].sort(), 'segments from the recording bucket');
      assert.equal(await store.countSegments(), 0);
    } finally {
      await store.close();
    }
  });

  it('retention: a segment whose record expired is deleted from its own bucket when its last file expires', async () => {
    const store = await CatalogueStore.open({ driver: 'sqlite', path: sqlitePath() });
    const buckets = fakeBuckets();
    const deps = { store, backendFor: buckets.backendFor, log: rootLogger() };
    try {
      const segs = [0, 1].map((i) => segment('r2', i, T0 + i * 2000, REC));
      for (const s of segs) await store.addSegment(s);
      await createIndexFile({ stream, startMs: T0, endMs: T0 + 4000, endIncluded: false, target: CLIPS, objectKey: 'clips/r2.m3u8' }, deps);
      const policy = { fileDays: 30, segmentDays: 10, domains: {}, deleteObjects: true };
      const early = await sweepExpired(deps, policy, T0 + 15 * DAY);
      assert.deepEqual(early, { files: 0, segments: 2, objects: 0, runs: 0 }, 'records expire, the clip keeps the objects');
      assert.deepEqual(buckets.deleted, []);
      const late = await sweepExpired(deps, policy, T0 + 35 * DAY);
      assert.deepEqual(late, { files: 1, segments: 0, objects: 3, runs: 1 });
      assert.deepEqual(buckets.deleted.sort(), ['clips:clips/r2.m3u8', ...segs.map((s) => `rec:${s.objectKey}`)].sort());
      assert.equal((await store.placesOf(segs.map((s) => s.objectKey))).size, 0, 'no note left behind');
    } finally {
      await store.close();
    }
  });

  it('segments are looked up by object key through an index', async () => {
    const store = await CatalogueStore.open({ driver: 'sqlite', path: sqlitePath() });
    try {
      const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT storage_kind FROM segments WHERE object_key = ${'k'}`.execute(store.db);
      assert.match(plan.rows.map((r) => r.detail).join(' '), /USING INDEX segments_object_key/);
    } finally {
      await store.close();
    }
  });

  it('a catalogue of the first schema is upgraded in place', async () => {
    const path = sqlitePath();
    const db = new Kysely<CatalogueDb>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
    await migrate(db, 'sqlite', 1);
    const live = segment('old', 0, T0, REC);
    const gone = segment('old', 1, T0 + 2000, REC);
    await db.insertInto('segments').values({
      segment_id: 'old-0', domain: stream.domain, app: stream.app, stream: stream.stream, recording_id: 'old', sequence: 0, object_key: live.objectKey,
      storage_kind: 's3', bucket: 'rec', endpoint: '', url: live.url, start_ms: T0, end_ms: T0 + 2000, duration_ms: 2000, discontinuity: 0, size: 1, sha256: '', created_ms: 0,
    }).execute();
    const row = CatalogueStore.fileRowOf(file('old', T0, 4000, REC, []), 0);
    await db.insertInto('record_files').values(row).execute();
    await db.insertInto('file_segments').values([live, gone].map((s) => ({ record_id: row.record_id, segment_key: s.objectKey }))).execute();
    await db.destroy();

    const store = await CatalogueStore.open({ driver: 'sqlite', path });
    try {
      const table = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'file_segments'`.execute(store.db);
      assert.match(table.rows[0].sql, /without rowid/i);
      const places = await store.placesOf([live.objectKey, gone.objectKey]);
      assert.deepEqual(places.get(live.objectKey), { target: REC, catalogued: true });
      assert.deepEqual(places.get(gone.objectKey), { target: REC, catalogued: false }, 'an expired segment of a recorder file: its bucket, from the file');
      assert.deepEqual((await store.removeFile(row.record_id)).sort(), [live.objectKey, gone.objectKey].sort());
    } finally {
      await store.close();
    }
  });
});
