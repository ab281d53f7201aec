// Retention of thumbnails against a real nats-server (the media plane says which streams are
// live), a real storage folder and the catalogue on SQLite and a throwaway PostgreSQL; the sweep
// runs at a fake "now" 100 days after the thumbnails were taken.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  STREAMS, SUBJECTS, streamToken, type Bus, type FileStored, type StorageTarget, type StreamRef, type ThumbnailStored, type ThumbnailTrackStored,
} from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry, type StorageBackend } from '../../../libs/storage/index.js';
import { rootLogger } from '../../../libs/telemetry/index.js';
import { startPostgres, tempDir, type ThrowawayPostgres } from '../../../test-kit/index.js';
import { startNats, type TestNats } from '../../../test-kit/nats.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { sweepExpired } from '../src/retention.js';
import { ThumbnailCatalogue } from '../src/thumbnail-catalogue.js';
import { ThumbnailIndex } from '../src/thumbnail-index.js';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 7, 1);
const NOW = T0 + 100 * DAY;
const local: StorageTarget = { kind: 'local', bucket: '', endpoint: '' };
const ended: StreamRef = { domain: 'localhost', app: 'live', stream: 'ended' };
const onAir: StreamRef = { domain: 'localhost', app: 'live', stream: 'onair' };
const rewritten: StreamRef = { domain: 'localhost', app: 'live', stream: 'rewritten' };
const shortLived: StreamRef = { domain: 'short.example', app: 'live', stream: 'cam' };
const policy = { fileDays: 180, segmentDays: 90, domains: { 'short.example': { fileDays: 10, segmentDays: 5 } }, deleteObjects: true };

const jpeg = (n: number) => Buffer.alloc(n, 0xff);

function suite(name: string, driver: () => Promise<CatalogueDriver>): void {
  describe(`thumbnail retention - ${name}`, () => {
    let nats: TestNats;
    let bus: Bus;
    let store: CatalogueStore;
    let thumbs: ThumbnailCatalogue;
    let index: ThumbnailIndex;
    let backend: StorageBackend;
    let storageRoot: string;

    /** Stores a thumbnail's object (`size` bytes) and catalogues it as the recorder's event would. */
    async function stored(stream: StreamRef, key: string, atMs: number, overwrite: boolean, size = 100): Promise<ThumbnailStored> {
      const put = await backend.putBytes(key, jpeg(size), 'image/jpeg');
      const ev: ThumbnailStored = { stream, recordingId: `rec-${stream.stream}`, atMs, objectKey: key, storage: local, url: backend.urlOf(key), size: put.size, width: 640, height: 360, overwrite };
      await thumbs.addThumbnail(ev);
      return ev;
    }
    const present = (key: string) => existsSync(join(storageRoot, key));
    const listed = async (stream: StreamRef) => (await thumbs.snapshotInfo({ stream, startMs: 0, endMs: NOW + DAY, limit: 100, order: 'asc' })).thumbnails.map((t) => t.objectKey);

    before(async () => {
      nats = await startNats();
      bus = await nats.bus('thumbnail-retention-test');
      const dataDir = tempDir('thumbret');
      const config = loadConfig({ LR_DATA_DIR: dataDir });
      storageRoot = config.storage.root;
      const registry = new StorageRegistry(config);
      backend = registry.backendFor(local);
      store = await CatalogueStore.open(await driver());
      thumbs = new ThumbnailCatalogue(store.db);
      index = new ThumbnailIndex(bus, rootLogger(), (t) => registry.backendFor(t));
      await index.start(store);
    });
    after(async () => {
      await index?.stop();
      await store?.close();
      await nats?.stop();
    });

    it('deletes expired thumbnail objects with their records; a live stream keeps its "latest" object', async () => {
      // A stream that ended 100 days ago: its sequence thumbnails and its "latest" object go.
      await stored(ended, 'snapshot/live/ended/1.jpg', T0, false);
      await stored(ended, 'snapshot/live/ended/2.jpg', T0 + 10_000, false);
      await stored(ended, 'live/ended.jpg', T0 + 10_000, true);
      // A live stream (its packets are on the media plane) whose "latest" record is old (its
      // configuration was removed long ago, say): the object stays, its old sequence thumbnails go.
      await stored(onAir, 'snapshot/live/onair/1.jpg', T0, false);
      await stored(onAir, 'live/onair.jpg', T0, true);
      await bus.js.publish(SUBJECTS.media(streamToken(onAir)), Buffer.from([1]));
      // A "latest" object written again since its catalogued frame (its event not catalogued yet): it stays.
      await stored(rewritten, 'live/rewritten.jpg', T0, true, 100);
      await backend.putBytes('live/rewritten.jpg', jpeg(120), 'image/jpeg');
      // So is a {Sequence} object a later session wrote again under the same name.
      await stored(rewritten, 'snapshot/live/rewritten/0.jpg', T0, false, 100);
      await backend.putBytes('snapshot/live/rewritten/0.jpg', jpeg(130), 'image/jpeg');
      // Recent thumbnails stay; a domain with a 5-day override loses a 6-day-old one.
      await stored(ended, 'snapshot/live/ended/recent.jpg', NOW - DAY, false);
      await stored(shortLived, 'snapshot/short/cam/old.jpg', NOW - 6 * DAY, false);
      await stored(shortLived, 'snapshot/short/cam/new.jpg', NOW - 4 * DAY, false);

      const r = await index.sweep(policy, NOW);
      assert.deepEqual(r, { thumbnails: 7, objects: 5, keptLive: 1 });
      for (const gone of ['snapshot/live/ended/1.jpg', 'snapshot/live/ended/2.jpg', 'live/ended.jpg', 'snapshot/live/onair/1.jpg', 'snapshot/short/cam/old.jpg']) {
        assert.equal(present(gone), false, `${gone} was deleted`);
      }
      for (const kept of ['live/onair.jpg', 'live/rewritten.jpg', 'snapshot/live/rewritten/0.jpg', 'snapshot/live/ended/recent.jpg', 'snapshot/short/cam/new.jpg']) {
        assert.equal(present(kept), true, `${kept} was kept`);
      }
      assert.deepEqual(await listed(ended), ['snapshot/live/ended/recent.jpg']);
      assert.deepEqual(await listed(onAir), ['live/onair.jpg'], 'the live stream\'s "latest" record stays with its object');
      assert.deepEqual(await listed(rewritten), [], 'the rewritten objects\' old records are forgotten (their new events catalogue them again)');
      assert.deepEqual(await listed(shortLived), ['snapshot/short/cam/new.jpg']);

      // Once the stream is no longer on the media plane, its "latest" object goes too.
      await bus.jsm.streams.purge(STREAMS.media, { filter: SUBJECTS.media(streamToken(onAir)) });
      assert.deepEqual(await index.sweep(policy, NOW), { thumbnails: 1, objects: 1, keptLive: 0 });
      assert.equal(present('live/onair.jpg'), false);
      assert.deepEqual(await index.sweep(policy, NOW), { thumbnails: 0, objects: 0, keptLive: 0 }, 'nothing is left to do');
    });

    it('without object deletion forgets the records and leaves the objects', async () => {
      await stored(ended, 'snapshot/live/ended/keep.jpg', T0, false);
      assert.deepEqual(await index.sweep({ ...policy, deleteObjects: false }, NOW), { thumbnails: 1, objects: 0, keptLive: 0 });
      assert.equal(present('snapshot/live/ended/keep.jpg'), true);
      assert.deepEqual(await listed(ended), ['snapshot/live/ended/recent.jpg']);
    });

    it('a file that expires takes its cover, sprite sheets and WebVTT track with it', async () => {
      const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 'filed' };
      const fileKey = 'record/live/filed/old_0.m3u8';
      const track: ThumbnailTrackStored = {
        stream, recordingId: 'old', format: 'm3u8', sequence: 0, storage: local, coverKey: 'record/live/filed/old_0.m3u8.cover.jpg',
        coverUrl: backend.urlOf('record/live/filed/old_0.m3u8.cover.jpg'), vttKey: 'record/live/filed/old_0.m3u8.thumbnails.vtt',
        spriteKeys: ['record/live/filed/old_0.m3u8.sprite-0.jpg', 'record/live/filed/old_0.m3u8.sprite-1.jpg'], thumbnails: 150,
      };
      const keys = [fileKey, track.coverKey, track.vttKey, ...track.spriteKeys];
      for (const k of keys) await backend.putBytes(k, jpeg(10), 'application/octet-stream');
      const file: FileStored = {
        objectKey: fileKey, storage: local, size: 10, sha256: 'x', url: backend.urlOf(fileKey),
        file: { stream, recordingId: 'old', format: 'm3u8', sequence: 0, startMs: T0 - 100 * DAY, endMs: T0 - 99 * DAY, durationMs: DAY, width: 640, height: 360, segmentKeys: [], pushArgs: {} },
      };
      const recordId = await store.addFile(file);
      await thumbs.addTrack(track);
      const deps = { store, backendFor: () => backend, log: rootLogger() };
      const r = await sweepExpired(deps, policy, NOW + 100 * DAY);
      assert.equal(r.files, 1);
      assert.equal(r.objects, keys.length, 'the file and its four track objects');
      for (const k of keys) assert.equal(present(k), false, `${k} was deleted`);
      assert.equal(await thumbs.removeTrack(recordId), null, 'the track record went with the file');
    });
  });
}

suite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('thumbret-cat'), 'c.sqlite') }));

let pg: ThrowawayPostgres | null = null;
suite('postgresql', async () => {
  pg ??= await startPostgres();
  return { driver: 'postgres', url: pg.url };
});
after(() => pg?.stop());
