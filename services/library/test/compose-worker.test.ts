// The merge (compose) worker against a real catalogue (SQLite) and real local
// storage, with m3u8 cycle files (a merge of playlists needs no media): a merge gets
// a cover of its own, which outlives its first file's and goes with the merge; a
// merge whose original is deleted while it is made is discarded with what it stored.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AssetRegistration, LibraryOps, MediaAsset, VodFileSettings } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { tempDir } from '../../../test-kit/index.js';
import { CatalogueStore } from '../../index/src/catalogue-store.js';
import { deleteAssets } from '../../index/src/library-rpc.js';
import { LibraryStore, type LibraryReadTables } from '../../index/src/library-store.js';
import { composedAssetId, mergedCoverKey, originalAssetId } from '../src/asset-registration.js';
import { ComposeWorker } from '../src/compose-worker.js';

const storage = { kind: 'local' as const, bucket: '', endpoint: '' };
const settings: VodFileSettings = {
  format: 'm3u8', autoCompose: true, videoProcess: [], processMethod: '', processTemplateId: '', category: 'sports', tags: [],
  templateId: 't', spaceId: '', storageLocation: '',
};
const DIR = 'record/live/cam';
const T0 = Date.UTC(2026, 10, 26, 10);

function playlist(segments: string[]): string {
  return ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD', ...segments.flatMap((s) => ['#EXTINF:2.000,', s]), '#EXT-X-ENDLIST', ''].join('\n');
}

describe('merging (compose worker)', () => {
  let cat: CatalogueStore;
  let lib: LibraryStore;
  let registry: StorageRegistry;
  let root: string;
  let workDir: string;
  const ready: [MediaAsset, boolean][] = [];
  const log = componentLogger('library-test');
  const makeWorker = (o: Partial<LibraryOps> = {}) => new ComposeWorker({
    getAsset: (q) => lib.getAsset(q), registerAsset: (q) => lib.registerAsset(q), ...o,
  } as LibraryOps, registry, workDir, log, async (a, created) => {
    ready.push([a, created]);
  });
  const deps = () => ({ store: cat, backendFor: (t: typeof storage) => registry.backendFor(t), log });

  /** Two m3u8 cycle files of a recording, stored with their segments; the first has a thumbnail track's cover. */
  async function recording(recordingId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const seq of [0, 1]) {
      const base = `${recordingId}_${seq}`;
      const segments = [`${base}_a.ts`, `${base}_b.ts`];
      for (const s of segments) writeFileSync(join(root, DIR, s), `segment ${s}`);
      writeFileSync(join(root, DIR, `${base}.m3u8`), playlist(segments));
      const reg: AssetRegistration = {
        assetId: originalAssetId(recordingId, 'm3u8', seq), title: 'cam', tags: [], categoryName: 'sports', stream: { domain: 'localhost', app: 'live', stream: 'cam' },
        recordingId, format: 'm3u8', source: 'record', recordId: `${recordingId}-m3u8-${seq}`, sourceAssetIds: [], objectKey: `${DIR}/${base}.m3u8`, storage,
        url: registry.local.urlOf(`${DIR}/${base}.m3u8`), size: 1, durationMs: 4000, width: 640, height: 360, startMs: T0 + seq * 4000, endMs: T0 + seq * 4000 + 4000,
        sequence: seq, settings,
      };
      await lib.registerAsset(reg);
      ids.push(reg.assetId);
    }
    const coverKey = `${DIR}/${recordingId}_0.m3u8.cover.jpg`;
    writeFileSync(join(root, coverKey), `cover of ${recordingId}`);
    await cat.db.withTables<LibraryReadTables>().insertInto('thumbnail_tracks').values({
      record_id: `${recordingId}-m3u8-0`, recording_id: recordingId, cover_key: coverKey, cover_url: registry.local.urlOf(coverKey), vtt_key: 'v', sprite_keys: '[]',
      thumbnails: 1, storage_kind: 'local', bucket: '', endpoint: '', created_ms: 1,
    }).execute();
    return ids;
  }

  before(async () => {
    const dataDir = tempDir('libcompose');
    cat = await CatalogueStore.open({ driver: 'sqlite', path: join(dataDir, 'c.sqlite') });
    lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
    registry = new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir }));
    root = join(dataDir, 'storage');
    workDir = join(dataDir, 'work');
    mkdirSync(join(root, DIR), { recursive: true });
  });
  after(() => cat.close());

  it('a merge has its own cover: it outlives the first file\'s and is deleted with the merge', async () => {
    const originals = await recording('r1');
    const first = (await lib.getAsset({ assetId: originals[0] }))!;
    assert.ok(first.coverUrl);
    await makeWorker().run({ recordingId: 'r1', format: 'm3u8', assetIds: originals });
    assert.equal(ready.length, 1);
    const [merged, created] = ready[0];
    assert.deepEqual([merged.assetId, created, merged.source, merged.categoryName], [composedAssetId('r1', 'm3u8'), true, 'compose', 'sports']);
    const cover = mergedCoverKey(merged.objectKey);
    assert.match(cover, /_merged\.m3u8\.cover\.jpg$/);
    assert.equal(merged.coverUrl, registry.local.urlOf(cover));
    assert.notEqual(merged.coverUrl, first.coverUrl);
    assert.equal(readFileSync(join(root, cover), 'utf8'), 'cover of r1');

    // The first file's cover goes (with its file); the merge's stays.
    rmSync(join(root, DIR, 'r1_0.m3u8.cover.jpg'));
    assert.ok(existsSync(join(root, cover)));

    const r = await deleteAssets(lib, [merged.assetId], deps());
    assert.equal(r.deletedObjects, 2, 'the merged playlist and its cover');
    assert.ok(!existsSync(join(root, merged.objectKey)));
    assert.ok(!existsSync(join(root, cover)), 'the merge\'s cover went with it');
    assert.ok(existsSync(join(root, DIR, 'r1_0_a.ts')), 'the originals\' segments stay');
  });

  it('deleting a merge made before it had its own cover leaves its first file\'s cover alone', async () => {
    const originals = await recording('r0');
    const first = (await lib.getAsset({ assetId: originals[0] }))!;
    const { asset } = await lib.registerAsset({
      ...first, categoryName: '', assetId: 'vold', source: 'compose', recordId: null, sourceAssetIds: originals, objectKey: `${DIR}/old_merged.m3u8`, coverUrl: first.coverUrl,
    });
    writeFileSync(join(root, asset.objectKey), playlist([]));
    assert.equal((await deleteAssets(lib, ['vold'], deps())).deletedObjects, 1);
    assert.ok(existsSync(join(root, DIR, 'r0_0.m3u8.cover.jpg')));
  });

  it('a merge whose original is deleted while it is made is discarded, with what it stored', async () => {
    ready.length = 0;
    const originals = await recording('r2');
    let storedKey = '';
    const racing = makeWorker({
      registerAsset: async (q) => {
        storedKey = q.objectKey;
        assert.ok(existsSync(join(root, q.objectKey)), 'the merged playlist is stored before it is registered');
        assert.ok(existsSync(join(root, mergedCoverKey(q.objectKey))), 'so is its cover');
        // DeleteVideo of the second cycle file, just before the merge is registered.
        await deleteAssets(lib, [originals[1]], deps());
        return lib.registerAsset(q);
      },
    });
    await racing.run({ recordingId: 'r2', format: 'm3u8', assetIds: originals });
    assert.equal(await lib.getAsset({ assetId: composedAssetId('r2', 'm3u8') }), null, 'no merge registered');
    assert.equal(ready.length, 0);
    assert.ok(storedKey);
    assert.ok(!existsSync(join(root, storedKey)), 'the merged playlist was deleted again');
    assert.ok(!existsSync(join(root, mergedCoverKey(storedKey))), 'so was its cover');
    assert.ok(existsSync(join(root, DIR, 'r2_0.m3u8')), 'the remaining original stays');
  });
});
