// The media library's catalogue queries on SQLite and on a throwaway PostgreSQL:
// registration (idempotent), merge readiness, search filters and paging,
// updates, categories, tasks.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RpcFailure, type AssetRegistration, type AssetSearchQuery, type StreamRef, type VodFileSettings } from '../../../libs/bus/index.js';
import { startPostgres, tempDir, waitFor, type ThrowawayPostgres } from '../../../test-kit/index.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { LibraryStore, containsPattern, type LibraryReadTables } from '../src/library-store.js';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3600_000;
const storage = { kind: 'local' as const, bucket: '', endpoint: '' };
const settings = (o: Partial<VodFileSettings> = {}): VodFileSettings => ({
  format: 'flv', autoCompose: true, videoProcess: [], processMethod: '', processTemplateId: '', category: 'sports', tags: ['live'],
  templateId: 'tpl', spaceId: 'space-1', storageLocation: '', ...o,
});

function asset(id: string, o: Partial<AssetRegistration> = {}): AssetRegistration {
  const stream: StreamRef = o.stream ?? { domain: 'localhost', app: 'live', stream: 's1' };
  return {
    assetId: id, title: stream.stream, tags: ['live'], categoryName: 'sports', stream, recordingId: 'rec1', format: 'flv', source: 'record',
    recordId: `rec1-flv-${id}`, sourceAssetIds: [], objectKey: `record/live/${stream.stream}/${id}.flv`, storage, url: `http://h/${id}.flv`,
    size: 100, durationMs: 60_000, width: 640, height: 360, startMs: T0, endMs: T0 + 60_000, sequence: 0, settings: settings(), ...o,
  };
}

const ALL: AssetSearchQuery = {
  categoryId: null, domain: null, app: null, stream: null, startMs: null, endMs: null, status: null, tag: null, title: null, source: null,
  pageNum: 1, pageSize: 100, order: 'asc',
};

function librarySuite(name: string, driver: () => Promise<CatalogueDriver>): void {
  describe(`library store - ${name}`, () => {
    let cat: CatalogueStore;
    let lib: LibraryStore;
    let opened: CatalogueDriver;
    before(async () => {
      opened = await driver();
      cat = await CatalogueStore.open(opened);
      lib = new LibraryStore(cat.db.withTables<LibraryReadTables>());
      // Ten assets of three streams, an hour apart, created in order.
      for (let i = 0; i < 10; i++) {
        const stream = { domain: i < 8 ? 'localhost' : 'other.com', app: 'live', stream: `s${i % 3}` };
        await lib.registerAsset(asset(`a${i}`, {
          stream, title: stream.stream, startMs: T0 + i * HOUR, endMs: T0 + i * HOUR + 60_000, recordingId: `r${i}`, sequence: 0,
          tags: i % 2 ? ['odd', 'live'] : ['even'], categoryName: i < 5 ? 'sports' : '',
        }), T0 + i);
      }
    });
    after(() => cat.close());

    it('registers once: a repeated registration changes nothing', async () => {
      const again = await lib.registerAsset(asset('a0', { title: 'changed' }));
      assert.equal(again.created, false);
      assert.equal(again.asset.title, 's0');
      assert.equal(again.asset.categoryName, 'sports');
    });

    const cases: [string, Partial<AssetSearchQuery>, string[]][] = [
      ['everything, oldest first', {}, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9']],
      ['one stream', { domain: 'localhost', app: 'live', stream: 's1' }, ['a1', 'a4', 'a7']],
      ['one domain', { domain: 'other.com' }, ['a8', 'a9']],
      ['time range overlaps', { startMs: T0 + 2 * HOUR + 30_000, endMs: T0 + 4 * HOUR + 1 }, ['a2', 'a3', 'a4']],
      ['open-ended range', { startMs: T0 + 8 * HOUR }, ['a8', 'a9']],
      ['tag', { tag: 'odd' }, ['a1', 'a3', 'a5', 'a7', 'a9']],
      ['tag matches whole tags only', { tag: 'od' }, []],
      ['title contains, any case', { title: 'S2' }, ['a2', 'a5', 'a8']],
      ['title with LIKE characters is literal', { title: '%' }, []],
      ['status', { status: 'ProcessFailed' }, []],
      ['source', { source: 'compose' }, []],
      ['newest first', { order: 'desc', pageSize: 3 }, ['a9', 'a8', 'a7']],
      ['second page', { pageNum: 2, pageSize: 4 }, ['a4', 'a5', 'a6', 'a7']],
      ['past the end', { pageNum: 4, pageSize: 4 }, []],
    ];
    for (const [what, q, want] of cases) {
      it(`search: ${what}`, async () => {
        const page = await lib.searchAssets({ ...ALL, ...q });
        assert.deepEqual(page.items.map((a) => a.assetId), want);
        if (q.pageNum === undefined && q.pageSize === undefined) assert.equal(page.total, want.length);
      });
    }

    it('search: category, and total counts every page', async () => {
      const sports = (await lib.getCategories({ categoryId: null, pageNum: 1, pageSize: 10 })).children.items.find((c) => c.name === 'sports');
      assert.ok(sports);
      const page = await lib.searchAssets({ ...ALL, categoryId: sports.id, pageSize: 2 });
      assert.deepEqual(page.items.map((a) => a.assetId), ['a0', 'a1']);
      assert.equal(page.total, 5);
    });

    it('updates title, category and tags; an unknown category is NOT_FOUND', async () => {
      const news = await lib.addCategory({ name: 'news', parentId: null });
      const a = await lib.updateAsset({ assetId: 'a3', title: 'Final', categoryId: news.id, tags: ['x', 'y'] });
      assert.equal(a.title, 'Final');
      assert.equal(a.categoryName, 'news');
      assert.deepEqual(a.tags, ['x', 'y']);
      assert.deepEqual((await lib.searchAssets({ ...ALL, tag: 'y' })).items.map((x) => x.assetId), ['a3']);
      await assert.rejects(lib.updateAsset({ assetId: 'a3', categoryId: 'cnope' }), /cate_id: cnope not found/);
      await assert.rejects(lib.updateAsset({ assetId: 'nope', title: 't' }), /video_id: nope not found/);
    });

    it('categories nest three levels; deleting one takes its sub-categories and uncategorises their assets', async () => {
      const top = await lib.addCategory({ name: 'tree', parentId: null });
      const mid = await lib.addCategory({ name: 'branch', parentId: top.id });
      const leaf = await lib.addCategory({ name: 'leaf', parentId: mid.id });
      assert.equal(leaf.level, 2);
      await assert.rejects(lib.addCategory({ name: 'too deep', parentId: leaf.id }), /parent_id: categories nest at most 3 levels/);
      await assert.rejects(lib.addCategory({ name: 'branch', parentId: top.id }), /already exists/);
      const listing = await lib.getCategories({ categoryId: top.id, pageNum: 1, pageSize: 10 });
      assert.equal(listing.category?.name, 'tree');
      assert.deepEqual(listing.children.items.map((c) => c.name), ['branch']);
      await lib.updateAsset({ assetId: 'a6', categoryId: leaf.id });
      const { deleted } = await lib.deleteCategory({ categoryId: top.id });
      assert.equal(deleted.length, 3);
      assert.equal((await lib.getAsset({ assetId: 'a6' }))?.categoryId, null);
    });

    it('a recording is ready to merge once it ended and every cycle file is an asset (auto_compose, two files or more)', async () => {
      const reg = (seq: number, format: 'flv' | 'mp4', auto = true) => lib.registerAsset(asset(`m-${format}-${seq}`, {
        recordingId: 'recM', format, sequence: seq, settings: settings({ format, autoCompose: auto }),
      }));
      assert.deepEqual((await reg(0, 'flv')).compose, []);
      assert.deepEqual(await lib.noteRecordingEnd({ recordingId: 'recM', files: { flv: 2, mp4: 2 } }), []);
      await reg(0, 'mp4', false);
      await reg(1, 'mp4', false);
      const ready = (await reg(1, 'flv')).compose;
      assert.deepEqual(ready, [{ recordingId: 'recM', format: 'flv', assetIds: ['m-flv-0', 'm-flv-1'] }]);
      await lib.registerAsset(asset('m-flv-merged', { recordingId: 'recM', source: 'compose', recordId: null, sourceAssetIds: ['m-flv-0', 'm-flv-1'] }));
      assert.deepEqual(await lib.composeCandidates('recM'), []);
      // One file: nothing to merge.
      await lib.registerAsset(asset('single', { recordingId: 'recS' }));
      assert.deepEqual(await lib.noteRecordingEnd({ recordingId: 'recS', files: { flv: 1 } }), []);
    });

    it('tasks: one per asset and group for automatic processing, a new one per manual submission; renditions attach', async () => {
      const a = await lib.createTask({ assetId: 'a1', groupId: 'g360', trigger: 'origin' });
      const b = await lib.createTask({ assetId: 'a1', groupId: 'g360', trigger: 'origin' });
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(a.task.taskId, b.task.taskId);
      const m = await lib.createTask({ assetId: 'a1', groupId: 'g360', trigger: 'manual' });
      assert.notEqual(m.task.taskId, a.task.taskId);
      const running = await lib.updateTask({ taskId: a.task.taskId, status: 'running', error: '', attempts: 1 });
      assert.equal(running.completedMs, null);
      const done = await lib.updateTask({ taskId: a.task.taskId, status: 'succeeded', error: '', attempts: 1 });
      assert.ok(done.completedMs);
      assert.deepEqual((await lib.listTasks({ assetId: 'a1', status: 'succeeded', pageNum: 1, pageSize: 10 })).items.map((t) => t.taskId), [a.task.taskId]);
      assert.equal((await lib.listTasks({ assetId: 'a1', status: null, pageNum: 1, pageSize: 10 })).total, 2);
      await lib.attachRendition({ renditionId: 'a1-g360-360p', assetId: 'a1', groupId: 'g360', definition: '360p', format: 'mp4', objectKey: 'k', storage, url: 'u', width: 640, height: 360, durationMs: 1000, size: 5, createdMs: 1 });
      await lib.attachRendition({ renditionId: 'a1-g360-360p', assetId: 'a1', groupId: 'g360', definition: '360p', format: 'mp4', objectKey: 'k', storage, url: 'u', width: 640, height: 360, durationMs: 2000, size: 5, createdMs: 2 });
      const withR = await lib.getAsset({ assetId: 'a1' });
      assert.deepEqual(withR?.renditions.map((r) => [r.definition, r.durationMs]), [['360p', 2000]]);
      const { removed, missing } = await lib.removeAssets(['a1', 'nope']);
      assert.deepEqual([removed.map((r) => r.renditions.length), missing], [[1], ['nope']]);
      assert.equal(await lib.getTask({ taskId: a.task.taskId }), null);
      // A rendition finished after its video was deleted is refused, not left as an orphan row.
      await assert.rejects(
        lib.attachRendition({ renditionId: 'a1-g360-480p', assetId: 'a1', groupId: 'g360', definition: '480p', format: 'mp4', objectKey: 'k2', storage, url: 'u', width: 854, height: 480, durationMs: 1000, size: 5, createdMs: 3 }),
        (e: Error) => e instanceof RpcFailure && e.error.code === 'not_found',
      );
      assert.deepEqual(await cat.db.withTables<LibraryReadTables>().selectFrom('media_renditions').select('rendition_id').where('asset_id', '=', 'a1').execute(), []);
    });

    it('a merge is registered only while its originals exist; one registered before is answered as it is', async () => {
      await lib.registerAsset(asset('o1', { recordingId: 'rm', sequence: 0 }));
      await lib.registerAsset(asset('o2', { recordingId: 'rm', sequence: 1 }));
      const merge = (id: string) => asset(id, { source: 'compose', recordId: null, recordingId: 'rm', sourceAssetIds: ['o1', 'o2'] });
      const first = await lib.registerAsset(merge('m-ok'));
      assert.equal(first.created, true);
      await lib.removeAssets(['o2']);
      await assert.rejects(lib.registerAsset(merge('m-late')), (e: Error) => e instanceof RpcFailure && e.error.code === 'not_found');
      assert.equal(await lib.getAsset({ assetId: 'm-late' }), null);
      const again = await lib.registerAsset(merge('m-ok'));
      assert.deepEqual([again.created, again.asset.assetId], [false, 'm-ok']);
    });

    it('a recorded file\'s cover comes from its thumbnail track; a merge carries the one it is given', async () => {
      assert.equal((await lib.getAsset({ assetId: 'a2' }))?.coverUrl, null);
      await cat.db.withTables<LibraryReadTables>().insertInto('thumbnail_tracks').values({
        record_id: 'rec1-flv-a2', recording_id: 'r2', cover_key: 'record/live/s2/a2_cover.jpg', cover_url: 'http://h/a2_cover.jpg', vtt_key: 'v', sprite_keys: '[]',
        thumbnails: 1, storage_kind: 'local', bucket: '', endpoint: '', created_ms: 1,
      }).execute();
      assert.equal((await lib.getAsset({ assetId: 'a2' }))?.coverUrl, 'http://h/a2_cover.jpg');
      assert.equal((await lib.searchAssets({ ...ALL, stream: 's2', pageSize: 1 })).items[0].coverUrl, 'http://h/a2_cover.jpg');
      const merged = await lib.registerAsset(asset('c-merged', { source: 'compose', recordId: null, recordingId: 'rc', coverUrl: 'http://h/first.jpg' }));
      assert.equal(merged.asset.coverUrl, 'http://h/first.jpg');
    });

    it('retention leaves an asset\'s recording file alone', async () => {
      const old = (recordingId: string) => ({
        objectKey: `record/live/s1/${recordingId}.flv`, storage, size: 1, sha256: 'x', url: 'http://h/k',
        file: { stream: { domain: 'localhost', app: 'live', stream: 's1' }, recordingId, format: 'flv' as const, sequence: 0, startMs: 0, endMs: 1000, durationMs: 1000, width: 0, height: 0, segmentKeys: [], pushArgs: {} },
      });
      await cat.addFile(old('kept'));
      await cat.addFile(old('expires'));
      await lib.registerAsset(asset('kept-asset', { recordingId: 'kept', recordId: 'kept-flv-0' }));
      const expired = await cat.expiredFiles(T0, {}, 100);
      assert.deepEqual(expired.map((f) => f.record_id), ['expires-flv-0']);
    });

    // PostgreSQL runs statements of two connections at once (SQLite has one connection):
    // another connection holds the row as the other side's transaction would.
    it('DeleteVideo and an attach racing: the rendition is refused, or removed and answered with its asset', { skip: name !== 'postgresql' }, async () => {
      const { default: pgModule } = await import('pg');
      const url = (opened as { url: string }).url;
      const [other, watcher] = [new pgModule.Client({ connectionString: url }), new pgModule.Client({ connectionString: url })];
      await other.connect();
      await watcher.connect();
      const waitingOnLock = () => waitFor('a statement waiting for a row lock', async () => {
        const r = await watcher.query<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
        return Number(r.rows[0].n) > 0;
      }, 10000, 20);
      const rendition = (assetId: string) => ({ renditionId: `${assetId}-g-480p`, assetId, groupId: 'g', definition: '480p', format: 'mp4', objectKey: `${assetId}.mp4`, storage, url: 'u', width: 854, height: 480, durationMs: 1000, size: 5, createdMs: 1 });
      const rows = async (assetId: string) => (await watcher.query('select rendition_id from media_renditions where asset_id = $1', [assetId])).rows;
      try {
        // The removal first: the attach waits for it, then finds no asset.
        await lib.registerAsset(asset('race1', { recordingId: 'race1' }));
        await other.query('BEGIN');
        await other.query(`DELETE FROM media_assets WHERE asset_id = 'race1'`);
        const attaching = lib.attachRendition(rendition('race1')).then(() => 'attached', (e: Error) => (e instanceof RpcFailure ? e.error.code : e.message));
        await waitingOnLock();
        await other.query('COMMIT');
        assert.equal(await attaching, 'not_found');
        assert.deepEqual(await rows('race1'), []);

        // The attach first: the removal waits for it, then deletes the rendition too and answers it (its object is deleted).
        await lib.registerAsset(asset('race2', { recordingId: 'race2' }));
        await other.query('BEGIN');
        await other.query(`UPDATE media_assets SET updated_ms = 5 WHERE asset_id = 'race2'`);
        await other.query(`INSERT INTO media_renditions (rendition_id, asset_id, group_id, definition, format, object_key, storage_kind, bucket, endpoint, url, width, height, duration_ms, size, created_ms)
          VALUES ('race2-g-480p', 'race2', 'g', '480p', 'mp4', 'race2.mp4', 'local', '', '', 'u', 854, 480, 1000, 5, 1)`);
        const removing = lib.removeAssets(['race2']);
        await waitingOnLock();
        await other.query('COMMIT');
        const { removed } = await removing;
        assert.deepEqual(removed.map((a) => [a.assetId, a.renditions.map((r) => r.objectKey)]), [['race2', ['race2.mp4']]]);
        assert.deepEqual(await rows('race2'), []);
      } finally {
        await other.end();
        await watcher.end();
      }
    });

    it('template groups: ids unique, listed in order, deleted by id', async () => {
      await lib.addGroup({ id: 'g1', name: 'sd', templates: [{ definition: '360p', width: 640, height: 360, videoBitrateKbps: 0, audioBitrateKbps: 0, container: 'mp4' }] });
      await assert.rejects(lib.addGroup({ id: 'g1', name: 'again', templates: [] }), /already exists/);
      const made = await lib.addGroup({ id: null, name: 'hd', templates: [] });
      assert.deepEqual((await lib.listGroups()).map((g) => g.id), ['g1', made.id]);
      await lib.deleteGroup({ groupId: 'g1' });
      await assert.rejects(lib.deleteGroup({ groupId: 'g1' }), /not found/);
    });
  });
}

describe('library store - pure rules', () => {
  it('LIKE patterns match their text literally', () => {
    assert.equal(containsPattern('50%_off\\'), '%50\\%\\_off\\\\%');
  });
});

librarySuite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('lib'), `l${Math.random()}.sqlite`) }));

let pg: ThrowawayPostgres | null = null;
let pgDb = 0;
librarySuite('postgresql', async () => {
  pg ??= await startPostgres();
  const { default: pgModule } = await import('pg');
  const admin = new pgModule.Client({ connectionString: pg.url });
  await admin.connect();
  const name = `lib${++pgDb}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return { driver: 'postgres', url: pg.url.replace(/\/postgres$/, `/${name}`) };
});
after(() => pg?.stop());
