import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileStored, SegmentStored, StreamRef } from '../../../libs/bus/index.js';
import { tempDir } from '../../../test-kit/index.js';
import { CatalogueStore } from '../src/catalogue-store.js';

const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 's1' };
const T0 = Date.UTC(2026, 10, 1);
const storage = { kind: 'local' as const, bucket: '', endpoint: '' };

function file(recordingId: string, sequence: number, startMs: number, durationMs: number, s = stream): FileStored {
  return {
    objectKey: `record/${s.app}/${s.stream}/${recordingId}_${sequence}.m3u8`, storage, size: 100, sha256: 'x', url: 'http://h/k',
    file: { stream: s, recordingId, format: 'm3u8', sequence, startMs, endMs: startMs + durationMs, durationMs, width: 640, height: 360, segmentKeys: [], pushArgs: {} },
  };
}

describe('catalogue store - sqlite', () => {
  let store: CatalogueStore;
  before(async () => {
    store = await CatalogueStore.open({ driver: 'sqlite', path: join(tempDir('cat'), 'c.sqlite') });
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
  });

  it('keeps streams apart', async () => {
    const r = await store.describeFiles({ stream: { ...stream, stream: 's2' }, startMs: 0, endMs: T0 * 2, pageNum: 1, pageSize: 100, order: 'asc' });
    assert.equal(r.total, 1);
    assert.equal(r.files[0].recordingId, 'recB');
  });

  it('inserting the same stored event twice is harmless', async () => {
    const id1 = await store.addFile(file('recA', 0, T0, 3600_000));
    const one = await store.describeFile(id1);
    assert.equal(one?.sequence, 0);
    const all = await store.describeFiles({ stream, startMs: 0, endMs: T0 * 2, pageNum: 1, pageSize: 100, order: 'asc' });
    assert.equal(all.total, 10);
    const seg: SegmentStored = { objectKey: 'k.ts', storage, size: 1, sha256: 'y', url: 'u', segment: { stream, recordingId: 'recA', sequence: 0, startMs: T0, endMs: T0 + 1, durationMs: 1, discontinuity: false } };
    await store.addSegment(seg);
    await store.addSegment(seg);
    assert.equal(await store.countSegments(), 1);
  });

  it('returns null for an unknown record id', async () => {
    assert.equal(await store.describeFile('nope'), null);
  });
});
