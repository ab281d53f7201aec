// Segment retention and the media library, on SQLite and on a throwaway PostgreSQL, with a fake
// clock (each sweep is told its "now") and real local storage: the segments an m3u8 asset's
// playlist plays (an original's, and a merge's once its originals are deleted) outlive
// LR_RETENTION_SEGMENT_DAYS, records and objects, with LR_RETENTION_DELETE_OBJECTS on; once the
// last asset playing them is deleted (DeleteVideo), those no other record uses go with it and
// the others fall back to the normal retention.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AssetRegistration, FileStored, RecordFormat, SegmentStored, StreamRef, ThumbnailTrackStored, VodFileSettings } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { startPostgres, tempDir, type ThrowawayPostgres } from '../../../test-kit/index.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { deleteAssets } from '../src/library-rpc.js';
import { LibraryStore, type LibraryReadTables } from '../src/library-store.js';
import { sweepExpired, type RetentionPolicy } from '../src/retention.js';
import { ThumbnailCatalogue } from '../src/thumbnail-catalogue.js';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);
const stream: StreamRef = { domain: 'localhost', app: 'live', stream: 'cam' };
const storage = { kind: 'local' as const, bucket: '', endpoint: '' };
const DIR = 'record/live/cam';
const policy: RetentionPolicy = { fileDays: 180, segmentDays: 90, domains: {}, deleteObjects: true };
const settings = (format: RecordFormat): VodFileSettings => ({
  format, autoCompose: true, videoProcess: [], processMethod: '', processTemplateId: '', category: '', tags: [], templateId: 't', spaceId: '', storageLocation: '',
});

function retentionSuite(name: string, driver: () => Promise<CatalogueDriver>): void {
  describe(`media library and segment retention - ${name}`, () => {
    let cat: CatalogueStore;
    let lib: LibraryStore;
    let registry: StorageRegistry;
    let root: string;
    const log = componentLogger('library-retention-test');
    const deps = () => ({ store: cat, backendFor: (t: typeof storage) => registry.backendFor(t), log });
    const sweep = (now: number) => sweepExpired(deps(), policy, now);
    const stored = (key: string) => existsSync(join(root, key));
    const catalogued = async (keys: string[]) => {
      const places = await cat.placesOf(keys);
      return keys.map((k) => (places.get(k)?.catalogued ? 'record' : places.has(k) ? 'note' : 'none'));
    };

    before(async () => {
      const dataDir = tempDir('libret');
      cat = await CatalogueStore.open(await driver());
      lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
      registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir }));
      root = join(dataDir, 'storage');
      mkdirSync(join(root, DIR), { recursive: true });
    });
    after(() => cat.close());

    /** A stored, catalogued segment of a recording (2 s from `startMs`). */
    async function segment(recordingId: string, seq: number, startMs: number): Promise<string> {
      const key = `${DIR}/${recordingId}_${seq}.ts`;
      writeFileSync(join(root, key), `segment ${key}`);
      const ev: SegmentStored = {
        objectKey: key, storage, size: 1, sha256: 's', url: registry.local.urlOf(key),
        segment: { stream, recordingId, sequence: seq, startMs, endMs: startMs + 2000, durationMs: 2000, discontinuity: false },
      };
      await cat.addSegment(ev, startMs);
      return key;
    }

    /** A recording's cycle file, stored and catalogued (listing its segments), optionally made an asset. */
    async function cycleFile(recordingId: string, format: RecordFormat, seq: number, segmentKeys: string[], startMs: number, asAsset = true): Promise<AssetRegistration> {
      const key = `${DIR}/${recordingId}_${seq}.${format}`;
      writeFileSync(join(root, key), `${format} file over ${segmentKeys.join(' ')}`);
      const endMs = startMs + segmentKeys.length * 2000;
      const ev: FileStored = {
        objectKey: key, storage, size: 1, sha256: 'f', url: registry.local.urlOf(key),
        file: { stream, recordingId, format, sequence: seq, startMs, endMs, durationMs: endMs - startMs, width: 640, height: 360, segmentKeys, pushArgs: {} },
      };
      const recordId = await cat.addFile(ev, endMs);
      const reg: AssetRegistration = {
        assetId: `${recordingId}-${format}-${seq}-asset`, title: 'cam', tags: [], categoryName: '', stream, recordingId, format, source: 'record', recordId,
        sourceAssetIds: [], objectKey: key, storage, url: ev.url, size: 1, durationMs: endMs - startMs, width: 640, height: 360, startMs, endMs, sequence: seq,
        settings: settings(format),
      };
      if (asAsset) await lib.registerAsset(reg, endMs);
      return reg;
    }

    /** An m3u8 merge of the originals (a playlist over their segments, stored beside them). */
    async function merge(recordingId: string, originals: AssetRegistration[]): Promise<string> {
      const key = `${DIR}/${recordingId}_merged.m3u8`;
      writeFileSync(join(root, key), 'merged playlist');
      const last = originals[originals.length - 1];
      const r = await lib.registerAsset({
        ...originals[0], assetId: `${recordingId}-merged`, source: 'compose', recordId: null, sourceAssetIds: originals.map((o) => o.assetId),
        objectKey: key, url: registry.local.urlOf(key), endMs: last.endMs, sequence: 0,
      }, last.endMs);
      return r.asset.assetId;
    }

    it('an m3u8 original\'s segments, and a merge\'s once its originals are deleted, outlive segment retention; the merge\'s deletion takes them', async () => {
      // Recording "rec": two m3u8 cycle files of 3 segments each, an flv file per cycle over the
      // same segments (as the recorder lists them), all assets, and an m3u8 merge.
      const segs = [];
      for (let i = 0; i < 6; i++) segs.push(await segment('rec', i, T0 + i * 2000));
      const m0 = await cycleFile('rec', 'm3u8', 0, segs.slice(0, 3), T0);
      const m1 = await cycleFile('rec', 'm3u8', 1, segs.slice(3), T0 + 6000);
      const f0 = await cycleFile('rec', 'flv', 0, segs.slice(0, 3), T0);
      await cycleFile('rec', 'flv', 1, segs.slice(3), T0 + 6000, false);
      const mergedId = await merge('rec', [m0, m1]);
      // Recording "plain": no asset; its segments and file go with the normal retention.
      const plain = [await segment('plain', 0, T0), await segment('plain', 1, T0 + 2000)];
      await cycleFile('plain', 'm3u8', 0, plain, T0, false);

      // Day 200: past the segments' 90 days and the files' 180.
      let r = await sweep(T0 + 200 * DAY);
      assert.deepEqual(await catalogued(segs), Array(6).fill('record'), 'the m3u8 assets\' segments keep their records');
      assert.ok(segs.every(stored), 'and their objects');
      assert.deepEqual(await catalogued(plain), ['none', 'none'], 'a recording that is no asset: segments expired');
      assert.ok(!plain.some(stored), 'and deleted');
      assert.ok(!stored(`${DIR}/plain_0.m3u8`));
      assert.ok(!stored(`${DIR}/rec_1.flv`), 'the flv file that is no asset expired');
      assert.equal(r.segments, 2);

      // DeleteVideo of the first m3u8 original: its playlist and record go, the merge takes over its segments.
      let d = await deleteAssets(lib, [m0.assetId], deps());
      assert.deepEqual(d, { missing: [], deletedObjects: 1 });
      assert.ok(!stored(m0.objectKey));
      assert.equal(await cat.fileRow(m0.recordId!), undefined);
      assert.deepEqual(await lib.takenOverSegments(mergedId), segs.slice(0, 3).sort());
      r = await sweep(T0 + 201 * DAY);
      assert.deepEqual(r, { files: 0, segments: 0, objects: 0, runs: 0 });
      assert.deepEqual(await catalogued(segs), Array(6).fill('record'), 'the merge still plays them');
      assert.ok(segs.every(stored));

      // The second original too: the merge alone plays all six.
      d = await deleteAssets(lib, [m1.assetId], deps());
      assert.deepEqual(d, { missing: [], deletedObjects: 1 });
      assert.deepEqual(await lib.takenOverSegments(mergedId), [...segs].sort());
      r = await sweep(T0 + 300 * DAY);
      assert.equal(r.segments, 0);
      assert.deepEqual(await catalogued(segs), Array(6).fill('record'));
      assert.ok(segs.every(stored), 'the merge is not broken');
      assert.ok(stored(`${DIR}/rec_merged.m3u8`));

      // DeleteVideo of the merge, the last asset playing them: the segments no other record uses
      // (the second cycle's) go, records and objects; the first cycle's, which the flv asset's
      // file lists, stay and fall back to the normal retention.
      d = await deleteAssets(lib, [mergedId], deps());
      assert.deepEqual(d, { missing: [], deletedObjects: 1 + 3 });
      assert.ok(!stored(`${DIR}/rec_merged.m3u8`));
      assert.deepEqual(await catalogued(segs), ['record', 'record', 'record', 'none', 'none', 'none']);
      assert.deepEqual(segs.map(stored), [true, true, true, false, false, false]);
      assert.deepEqual(await lib.takenOverSegments(mergedId), []);
      r = await sweep(T0 + 301 * DAY);
      assert.equal(r.segments, 3, 'the flv file plays none of them: their records expire');
      assert.deepEqual(await catalogued(segs.slice(0, 3)), ['note', 'note', 'note'], 'objects kept while a file lists them');
      assert.ok(segs.slice(0, 3).every(stored));
      // DeleteVideo of that flv original: its file, and the segments nothing references any more.
      d = await deleteAssets(lib, [f0.assetId], deps());
      assert.deepEqual(d, { missing: [], deletedObjects: 1 + 3 });
      assert.ok(!segs.some(stored));
      assert.deepEqual(await catalogued(segs), Array(6).fill('none'));
    });

    /** A thumbnail track of a cycle file (cover, two sprite sheets, WebVTT), stored and catalogued; answers its keys. */
    async function track(file: AssetRegistration): Promise<string[]> {
      const base = file.objectKey;
      const t: ThumbnailTrackStored = {
        stream, recordingId: file.recordingId, format: file.format, sequence: file.sequence, storage, coverKey: `${base}.cover.jpg`,
        coverUrl: registry.local.urlOf(`${base}.cover.jpg`), vttKey: `${base}.thumbnails.vtt`, spriteKeys: [`${base}.sprite-0.jpg`, `${base}.sprite-1.jpg`], thumbnails: 20,
      };
      const keys = [t.coverKey, t.vttKey, ...t.spriteKeys];
      for (const k of keys) writeFileSync(join(root, k), `thumbnails ${k}`);
      await new ThumbnailCatalogue(cat.db).addTrack(t, file.endMs);
      return keys;
    }

    it('an m3u8 original deleted while its merge exists takes its cover, sprite sheets and WebVTT track along; the merge keeps the segments', async () => {
      const segs = [];
      for (let i = 0; i < 4; i++) segs.push(await segment('rec4', i, T0 + i * 2000));
      const m0 = await cycleFile('rec4', 'm3u8', 0, segs.slice(0, 2), T0);
      const m1 = await cycleFile('rec4', 'm3u8', 1, segs.slice(2), T0 + 4000);
      const thumbs0 = await track(m0);
      const thumbs1 = await track(m1);
      const mergedId = await merge('rec4', [m0, m1]);
      assert.equal((await lib.getAsset({ assetId: m0.assetId }))?.coverUrl, registry.local.urlOf(thumbs0[0]));
      assert.deepEqual(await deleteAssets(lib, [m0.assetId], deps()), { missing: [], deletedObjects: 1 + 4 });
      assert.ok(!stored(m0.objectKey));
      assert.deepEqual(thumbs0.map(stored), [false, false, false, false], 'the track\'s objects went with its record');
      assert.equal(await new ThumbnailCatalogue(cat.db).removeTrack(m0.recordId!), null);
      assert.ok(thumbs1.every(stored), 'the other original\'s track stays');
      assert.deepEqual(await lib.takenOverSegments(mergedId), segs.slice(0, 2).sort());
      await sweep(T0 + 300 * DAY);
      assert.ok(segs.every(stored), 'the merge still plays them');
      assert.deepEqual(await catalogued(segs), Array(4).fill('record'));
    });

    it('a merge made before merges had their own cover keeps showing its first file\'s, whose deletion leaves that cover', async () => {
      const segs = [];
      for (let i = 0; i < 2; i++) segs.push(await segment('rec5', i, T0 + i * 2000));
      const m0 = await cycleFile('rec5', 'm3u8', 0, segs.slice(0, 1), T0);
      const m1 = await cycleFile('rec5', 'm3u8', 1, segs.slice(1), T0 + 2000);
      const thumbs0 = await track(m0);
      const key = `${DIR}/rec5_merged.m3u8`;
      writeFileSync(join(root, key), 'merged playlist');
      await lib.registerAsset({
        ...m0, assetId: 'rec5-merged', source: 'compose', recordId: null, sourceAssetIds: [m0.assetId, m1.assetId], coverUrl: registry.local.urlOf(thumbs0[0]),
        objectKey: key, url: registry.local.urlOf(key), endMs: m1.endMs, sequence: 0,
      }, m1.endMs);
      assert.deepEqual(await deleteAssets(lib, [m0.assetId], deps()), { missing: [], deletedObjects: 1 + 3 });
      assert.deepEqual(thumbs0.map(stored), [true, false, false, false], 'the cover the merge shows stays');
    });

    it('a failure after an m3u8 original\'s removal leaves its segments handed over to the merge: retention keeps them', async () => {
      const segs = [];
      for (let i = 0; i < 4; i++) segs.push(await segment('rec6', i, T0 + i * 2000));
      const m0 = await cycleFile('rec6', 'm3u8', 0, segs.slice(0, 2), T0);
      const m1 = await cycleFile('rec6', 'm3u8', 1, segs.slice(2), T0 + 4000);
      const mergedId = await merge('rec6', [m0, m1]);
      // The step after the asset's removal (its file record's deletion) fails.
      const failing = Object.create(cat, { removeFile: { value: async () => { throw new Error('injected: record deletion failed'); } } }) as CatalogueStore;
      await assert.rejects(deleteAssets(lib, [m0.assetId], { ...deps(), store: failing }), /injected/);
      assert.equal(await lib.getAsset({ assetId: m0.assetId }), null, 'the asset is gone');
      assert.ok(await cat.fileRow(m0.recordId!), 'its file record stays');
      assert.deepEqual(await lib.takenOverSegments(mergedId), segs.slice(0, 2).sort(), 'handed over in the asset\'s removal');
      // Past the files' and segments' retention: the file (no asset) expires, the segments the merge plays do not.
      await sweep(T0 + 300 * DAY);
      assert.equal(await cat.fileRow(m0.recordId!), undefined, 'the file record expired');
      assert.ok(!stored(m0.objectKey));
      assert.deepEqual(await catalogued(segs), Array(4).fill('record'), 'the merge still plays them');
      assert.ok(segs.every(stored));
      assert.deepEqual(await deleteAssets(lib, [m0.assetId], deps()), { missing: [m0.assetId], deletedObjects: 0 });
    });

    it('a handover that fails undoes the original\'s removal: a retried DeleteVideo finds the asset and hands its segments over', async () => {
      const segs = [];
      for (let i = 0; i < 4; i++) segs.push(await segment('rec7', i, T0 + i * 2000));
      const m0 = await cycleFile('rec7', 'm3u8', 0, segs.slice(0, 2), T0);
      const m1 = await cycleFile('rec7', 'm3u8', 1, segs.slice(2), T0 + 4000);
      const mergedId = await merge('rec7', [m0, m1]);
      // Writing the handover rows fails (the statement, whatever the dialect).
      const failingDb = cat.db.withTables<LibraryReadTables>().withPlugin({
        transformQuery: (args) => {
          const node = args.node;
          if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'media_asset_segments') throw new Error('injected: handover failed');
          return node;
        },
        transformResult: async (args) => args.result,
      });
      await assert.rejects(deleteAssets(new LibraryStore(failingDb), [m0.assetId], deps()), /injected/);
      assert.equal((await lib.getAsset({ assetId: m0.assetId }))?.assetId, m0.assetId, 'the asset\'s removal was rolled back with it');
      assert.ok(await cat.fileRow(m0.recordId!));
      assert.ok(stored(m0.objectKey));
      assert.deepEqual(await lib.takenOverSegments(mergedId), []);
      assert.deepEqual(await deleteAssets(lib, [m0.assetId], deps()), { missing: [], deletedObjects: 1 });
      assert.deepEqual(await lib.takenOverSegments(mergedId), segs.slice(0, 2).sort());
      await sweep(T0 + 300 * DAY);
      assert.deepEqual(await catalogued(segs), Array(4).fill('record'), 'the merge still plays them');
      assert.ok(segs.every(stored));
    });

    it('a merge deleted before its originals takes nothing; an original deleted then takes its own segments', async () => {
      const segs = [];
      for (let i = 0; i < 4; i++) segs.push(await segment('rec2', i, T0 + i * 2000));
      const m0 = await cycleFile('rec2', 'm3u8', 0, segs.slice(0, 2), T0);
      const m1 = await cycleFile('rec2', 'm3u8', 1, segs.slice(2), T0 + 4000);
      const mergedId = await merge('rec2', [m0, m1]);
      assert.deepEqual(await deleteAssets(lib, [mergedId], deps()), { missing: [], deletedObjects: 1 });
      assert.ok(segs.every(stored), 'the originals still play them');
      await sweep(T0 + 200 * DAY);
      assert.deepEqual(await catalogued(segs), Array(4).fill('record'));
      // No merge any more: the original's deletion takes its file and segments.
      assert.deepEqual(await deleteAssets(lib, [m0.assetId], deps()), { missing: [], deletedObjects: 1 + 2 });
      assert.deepEqual(segs.map(stored), [false, false, true, true]);
      assert.deepEqual(await catalogued(segs), ['none', 'none', 'record', 'record']);
    });

    it('segment records that expired before (retention notes) are deleted with the merge that took them over', async () => {
      const segs = [];
      for (let i = 0; i < 2; i++) segs.push(await segment('rec3', i, T0 + i * 2000));
      const m0 = await cycleFile('rec3', 'm3u8', 0, segs.slice(0, 1), T0);
      const m1 = await cycleFile('rec3', 'm3u8', 1, segs.slice(1), T0 + 2000);
      const mergedId = await merge('rec3', [m0, m1]);
      // As a catalogue swept before this rule did: the records expired, notes of where the objects are kept.
      const rows = await cat.expiredSegments(Number.MAX_SAFE_INTEGER, { only: 'localhost' }, 1000);
      assert.deepEqual(rows.filter((s) => s.recording_id === 'rec3'), [], 'no longer expired while assets play them');
      const all = await cat.db.selectFrom('segments').selectAll().where('recording_id', '=', 'rec3').execute();
      await cat.expireSegments(all, await cat.referencedSegments(all), T0 + 100 * DAY);
      assert.deepEqual(await catalogued(segs), ['note', 'note']);
      await deleteAssets(lib, [m0.assetId, m1.assetId], deps());
      await sweep(T0 + 400 * DAY);
      assert.ok(segs.every(stored), 'the merge plays them');
      assert.deepEqual(await deleteAssets(lib, [mergedId], deps()), { missing: [], deletedObjects: 1 + 2 });
      assert.ok(!segs.some(stored));
      assert.deepEqual(await catalogued(segs), ['none', 'none'], 'notes gone with the objects');
    });
  });
}

retentionSuite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('libret-cat'), 'c.sqlite') }));

let pg: ThrowawayPostgres | null = null;
retentionSuite('postgresql', async () => {
  pg ??= await startPostgres();
  return { driver: 'postgres', url: pg.url };
});
after(() => pg?.stop());
