// The thumbnail catalogue on SQLite and on a throwaway PostgreSQL: upserts, range listing, covers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileStored, StreamRef, ThumbnailStored, ThumbnailTrackStored } from '../../../libs/bus/index.js';
import { startPostgres, tempDir, type ThrowawayPostgres } from '../../../test-kit/index.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { ThumbnailCatalogue } from '../src/thumbnail-catalogue.js';

const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 'cam' };
const storage = { kind: 'local' as const, bucket: '', endpoint: '' };
const T0 = Date.UTC(2026, 10, 1);

function thumb(atMs: number, overwrite = false, s = stream): ThumbnailStored {
  const key = overwrite ? `${s.app}/${s.stream}.jpg` : `snapshot/${s.app}/${s.stream}/${Math.floor(atMs / 1000)}.jpg`;
  return { stream: s, recordingId: 'rec1', atMs, objectKey: key, storage, url: `http://h/${key}`, size: 1000 + atMs % 7, width: 640, height: 360, overwrite };
}

function file(sequence: number, startMs: number, durationMs: number, recordingId = 'rec1'): FileStored {
  return {
    objectKey: `record/live/cam/${recordingId}_${sequence}.m3u8`, storage, size: 10, sha256: 'x', url: 'http://h/f',
    file: { stream, recordingId, format: 'm3u8', sequence, startMs, endMs: startMs + durationMs, durationMs, width: 1280, height: 720, segmentKeys: [], pushArgs: {} },
  };
}

function suite(name: string, driver: () => Promise<CatalogueDriver>): void {
  describe(`thumbnail catalogue - ${name}`, () => {
    let store: CatalogueStore;
    let thumbs: ThumbnailCatalogue;
    before(async () => {
      store = await CatalogueStore.open(await driver());
      thumbs = new ThumbnailCatalogue(store.db);
      for (let i = 0; i < 10; i++) {
        await thumbs.addThumbnail(thumb(T0 + i * 2000));
        await thumbs.addThumbnail(thumb(T0 + i * 2000, true));
      }
      // Redelivered events and a late, older "latest" change nothing.
      await thumbs.addThumbnail(thumb(T0 + 4000));
      await thumbs.addThumbnail(thumb(T0 + 2000, true));
      await thumbs.addThumbnail(thumb(T0, false, { ...stream, stream: 'other' }));
    });
    after(() => store?.close());

    it('lists a stream\'s thumbnails in a range, ordered, paged by limit', async () => {
      const r = await thumbs.snapshotInfo({ stream, startMs: T0 + 2000, endMs: T0 + 10_000, limit: 3, order: 'asc' });
      const seq = r.thumbnails.map((t) => [t.atMs - T0, t.overwrite]);
      assert.deepEqual(seq, [[2000, false], [4000, false], [6000, false]]);
      assert.equal(r.nextStartMs, T0 + 8000);
      const last = await thumbs.snapshotInfo({ stream, startMs: T0 + 8000, endMs: T0 + 10_000, limit: 3, order: 'asc' });
      assert.deepEqual(last.thumbnails.map((t) => t.atMs - T0), [8000]);
      assert.equal(last.nextStartMs, null);
    });

    it('keeps one row for the overwritten object, at its newest frame', async () => {
      const r = await thumbs.snapshotInfo({ stream, startMs: T0, endMs: T0 + 60_000, limit: 100, order: 'desc' });
      const overwrite = r.thumbnails.filter((t) => t.overwrite);
      assert.equal(overwrite.length, 1);
      assert.equal(overwrite[0].atMs, T0 + 18_000);
      assert.equal(overwrite[0].objectKey, 'live/cam.jpg');
      assert.equal(r.thumbnails.filter((t) => !t.overwrite).length, 10);
      assert.equal(r.thumbnails[0].atMs, T0 + 18_000, 'newest first');
    });

    it('gives a file its track, or (a clip) the first sequence thumbnail in its time as cover', async () => {
      const track: ThumbnailTrackStored = {
        stream, recordingId: 'rec1', format: 'm3u8', sequence: 0, storage, coverKey: 'record/live/cam/rec1_0.m3u8.cover.jpg', coverUrl: 'http://h/record/live/cam/rec1_0.m3u8.cover.jpg',
        vttKey: 'record/live/cam/rec1_0.m3u8.thumbnails.vtt', spriteKeys: ['record/live/cam/rec1_0.m3u8.sprite-0.jpg'], thumbnails: 5,
      };
      await thumbs.addTrack(track);
      await thumbs.addTrack(track);
      const recordId0 = await store.addFile(file(0, T0, 10_000));
      const recordId1 = await store.addFile(file(1, T0 + 10_000, 10_000));
      const recordId2 = await store.addFile(file(2, T0 + 60_000, 10_000));
      const files = (await store.describeFiles({ stream, startMs: T0 - 1, endMs: T0 + 100_000, pageNum: 1, pageSize: 10, order: 'asc' })).files;
      const described = await thumbs.withThumbnails(files);
      const byId = new Map(described.map((f) => [f.recordId, f.thumbnails]));
      assert.deepEqual(byId.get(recordId0), {
        coverKey: track.coverKey, coverUrl: track.coverUrl, vttKey: track.vttKey, vttUrl: 'http://h/record/live/cam/rec1_0.m3u8.thumbnails.vtt', spriteKeys: track.spriteKeys,
      });
      assert.deepEqual(byId.get(recordId1), { coverKey: `snapshot/live/cam/${Math.floor((T0 + 10_000) / 1000)}.jpg`, coverUrl: `http://h/snapshot/live/cam/${Math.floor((T0 + 10_000) / 1000)}.jpg`, vttKey: '', spriteKeys: [] });
      assert.equal(byId.get(recordId2), undefined, 'no thumbnail in its time: no cover');
    });

    it('expires records before a cutoff, and tracks whose file is long gone', async () => {
      await thumbs.addTrack({
        stream, recordingId: 'gone', format: 'flv', sequence: 3, storage, coverKey: 'c', coverUrl: 'u', vttKey: 'v', spriteKeys: [], thumbnails: 1,
      }, T0);
      assert.equal(await thumbs.expire(T0 + 4000, T0 + 1), 3, 'the other stream\'s and two of this one\'s');
      const r = await thumbs.snapshotInfo({ stream, startMs: 0, endMs: T0 + 60_000, limit: 100, order: 'asc' });
      assert.equal(r.thumbnails[0].atMs, T0 + 4000);
      assert.equal(await thumbs.removeTrack('gone-flv-3'), null, 'the orphan track was forgotten');
    });

    it('expires per domain where retention is overridden', async () => {
      const other = { domain: 'keep.example.com', app: 'live', stream: 'cam' };
      await thumbs.addThumbnail(thumb(T0, false, other));
      assert.equal(await thumbs.expire(T0 + 1, T0, { except: ['keep.example.com'] }), 0, 'the overridden domain is left to its own sweep');
      assert.equal(await thumbs.expire(T0 + 1, T0, { only: 'keep.example.com' }), 1);
    });

    it('hands over a removed file\'s track objects', async () => {
      const removed = await thumbs.removeTrack('rec1-m3u8-0');
      assert.deepEqual(removed, { storage, keys: ['record/live/cam/rec1_0.m3u8.cover.jpg', 'record/live/cam/rec1_0.m3u8.thumbnails.vtt', 'record/live/cam/rec1_0.m3u8.sprite-0.jpg'] });
      assert.equal(await thumbs.removeTrack('rec1-m3u8-0'), null);
    });
  });
}

suite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('thumbcat'), 'c.sqlite') }));

let pg: ThrowawayPostgres | null = null;
suite('postgresql', async () => {
  pg = await startPostgres();
  return { driver: 'postgres', url: pg.url };
});
after(() => pg?.stop());
