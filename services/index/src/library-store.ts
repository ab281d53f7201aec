// The media library's catalogue queries. Every write is idempotent where an
// event can be delivered twice (assets by id, tasks by asset and group).
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import {
  RpcFailure, type AssetRegistration, type AssetSearchQuery, type AssetStatus, type AssetUpdate, type Category, type CategoryListing,
  type ComposeCandidate, type MediaAsset, type Page, type ProcessTask, type RecordFormat, type RegisterResult, type Rendition,
  type RenditionSpec, type StorageTarget, type TaskListQuery, type TaskTrigger, type TaskUpdate, type TemplateGroup, type VodFileSettings,
} from '../../../libs/bus/index.js';
import type { CatalogueDb } from './catalogue-schema.js';
import type { LibraryTables, MediaAssetsTable, MediaCategoriesTable, MediaRenditionsTable, MediaTasksTable } from './library-schema.js';
import type { ThumbnailTracksTable } from './thumbnail-schema.js';

/** The library's tables, and the thumbnail tracks whose cover a recorded file's asset shows. */
export type LibraryReadTables = LibraryTables & { thumbnail_tracks: ThumbnailTracksTable };
export type LibraryDb = CatalogueDb & LibraryReadTables;

/** Categories nest three levels deep (0, 1, 2), as in the cloud media libraries. */
export const MAX_CATEGORY_LEVEL = 2;

function notFound(field: string, id: string): RpcFailure {
  return new RpcFailure({ code: 'not_found', message: `${field}: ${id} not found` });
}

/** A LIKE pattern matching `text` literally somewhere ('\' escapes). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function targetOf(r: { storage_kind: string; bucket: string; endpoint: string }): StorageTarget {
  return { kind: r.storage_kind as StorageTarget['kind'], bucket: r.bucket, endpoint: r.endpoint };
}

function renditionOf(r: Selectable<MediaRenditionsTable>): Rendition {
  return {
    renditionId: r.rendition_id, assetId: r.asset_id, groupId: r.group_id, definition: r.definition, format: r.format,
    objectKey: r.object_key, storage: targetOf(r), url: r.url, width: r.width, height: r.height, durationMs: Number(r.duration_ms),
    size: Number(r.size), createdMs: Number(r.created_ms),
  };
}

function taskOf(r: Selectable<MediaTasksTable>): ProcessTask {
  return {
    taskId: r.task_id, assetId: r.asset_id, groupId: r.group_id, status: r.status as ProcessTask['status'], error: r.error,
    attempts: r.attempts, trigger: r.trigger as TaskTrigger, createdMs: Number(r.created_ms), completedMs: r.completed_ms === null ? null : Number(r.completed_ms),
  };
}

function categoryOf(r: Selectable<MediaCategoriesTable>): Category {
  return { id: r.category_id, name: r.name, parentId: r.parent_id || null, level: r.level };
}

type AssetRow = Selectable<MediaAssetsTable> & { category_name: string | null; track_cover: string | null };

function assetOf(r: AssetRow, renditions: Rendition[]): MediaAsset {
  return {
    assetId: r.asset_id, title: r.title, tags: JSON.parse(r.tags) as string[], status: r.status as AssetStatus,
    // A recorded file's cover comes from its thumbnail track (when thumbnails are made); a merge carries its own copy of its first file's (services/library compose-worker).
    categoryId: r.category_id, categoryName: r.category_name, coverUrl: r.cover_url ?? r.track_cover ?? null,
    stream: { domain: r.domain, app: r.app, stream: r.stream }, recordingId: r.recording_id, format: r.format as RecordFormat,
    source: r.source as MediaAsset['source'], recordId: r.record_id, sourceAssetIds: JSON.parse(r.source_asset_ids) as string[],
    objectKey: r.object_key, storage: targetOf(r), url: r.url, size: Number(r.size), durationMs: Number(r.duration_ms),
    width: r.width, height: r.height, startMs: Number(r.start_ms), endMs: Number(r.end_ms), sequence: r.sequence,
    settings: JSON.parse(r.settings) as VodFileSettings, createdMs: Number(r.created_ms), updatedMs: Number(r.updated_ms), renditions,
  };
}

function tagsText(tags: string[]): string {
  return tags.length ? `|${tags.join('|')}|` : '';
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

/**
 * A removed asset, with the segments it had taken over (a merge whose originals were deleted), and for an
 * m3u8 original whether its recording's merge took over its file's segments (segmentsShared: its file's segments stay).
 */
export type RemovedAsset = MediaAsset & { takenOver: string[]; segmentsShared: boolean };

export class LibraryStore {
  constructor(private readonly db: Kysely<LibraryDb>) {}

  private assets() {
    return this.db.selectFrom('media_assets as a')
      .leftJoin('media_categories as c', 'c.category_id', 'a.category_id')
      .leftJoin('thumbnail_tracks as t', 't.record_id', 'a.record_id')
      .selectAll('a')
      .select(['c.name as category_name', 't.cover_url as track_cover']);
  }

  private async withRenditions(rows: AssetRow[]): Promise<MediaAsset[]> {
    if (rows.length === 0) return [];
    const rs = await this.db.selectFrom('media_renditions').selectAll().where('asset_id', 'in', rows.map((r) => r.asset_id)).orderBy('created_ms').orderBy('rendition_id').execute();
    return rows.map((r) => assetOf(r, rs.filter((x) => x.asset_id === r.asset_id).map(renditionOf)));
  }

  async getAsset(q: { assetId: string }): Promise<MediaAsset | null> {
    const row = await this.assets().where('a.asset_id', '=', q.assetId).executeTakeFirst();
    return row ? (await this.withRenditions([row]))[0] : null;
  }

  private async requireAsset(assetId: string): Promise<MediaAsset> {
    const a = await this.getAsset({ assetId });
    if (!a) throw notFound('video_id', assetId);
    return a;
  }

  /** A top-level category by name, made when missing (a template names its category). */
  private async categoryByName(name: string, now: number): Promise<string> {
    await this.db.insertInto('media_categories').values({ category_id: newId('c'), name, parent_id: '', level: 0, created_ms: now })
      .onConflict((oc) => oc.columns(['parent_id', 'name']).doNothing()).execute();
    const row = await this.db.selectFrom('media_categories').select('category_id').where('parent_id', '=', '').where('name', '=', name).executeTakeFirstOrThrow();
    return row.category_id;
  }

  async registerAsset(q: AssetRegistration, now = Date.now()): Promise<RegisterResult> {
    const categoryId = q.categoryName ? await this.categoryByName(q.categoryName, now) : null;
    const created = await this.db.transaction().execute(async (tx) => {
      // A merge is registered only while every original it was made from exists: an original
      // deleted meanwhile may have taken segments an m3u8 merge would play (DeleteVideo keeps
      // them only for a merge it sees). The originals' rows are locked (a no-op update) so a
      // concurrent DeleteVideo either finishes first (and the merge is refused: NOT_FOUND) or
      // waits and then sees the merge. A merge registered before is answered as it is.
      if (q.source === 'compose' && q.sourceAssetIds.length > 0) {
        const exists = await tx.selectFrom('media_assets').select('asset_id').where('asset_id', '=', q.assetId).executeTakeFirst();
        if (exists) return false;
        const locked = await tx.updateTable('media_assets').set((eb) => ({ updated_ms: eb.ref('updated_ms') }))
          .where('asset_id', 'in', q.sourceAssetIds).executeTakeFirst();
        if (Number(locked.numUpdatedRows) !== new Set(q.sourceAssetIds).size) {
          throw new RpcFailure({ code: 'not_found', message: `source_video_ids: an original of ${q.assetId} was deleted` });
        }
      }
      const inserted = await tx.insertInto('media_assets').values({
        asset_id: q.assetId, title: q.title, tags: JSON.stringify(q.tags), tags_text: tagsText(q.tags), status: 'Normal',
        category_id: categoryId, cover_url: q.coverUrl ?? null, domain: q.stream.domain, app: q.stream.app, stream: q.stream.stream,
        recording_id: q.recordingId, format: q.format, source: q.source, record_id: q.recordId, source_asset_ids: JSON.stringify(q.sourceAssetIds),
        sequence: q.sequence, object_key: q.objectKey, storage_kind: q.storage.kind, bucket: q.storage.bucket, endpoint: q.storage.endpoint,
        url: q.url, size: q.size, duration_ms: q.durationMs, width: q.width, height: q.height, start_ms: q.startMs, end_ms: q.endMs,
        space_id: q.settings.spaceId, settings: JSON.stringify(q.settings), created_ms: now, updated_ms: now,
      }).onConflict((oc) => oc.column('asset_id').doNothing()).executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    });
    const asset = await this.requireAsset(q.assetId);
    const compose = q.source === 'record' ? await this.composeCandidates(q.recordingId) : [];
    return { asset, created, compose };
  }

  async noteRecordingEnd(q: { recordingId: string; files: Partial<Record<RecordFormat, number>> }, now = Date.now()): Promise<ComposeCandidate[]> {
    await this.db.insertInto('media_recordings').values({ recording_id: q.recordingId, files: JSON.stringify(q.files), ended_ms: now })
      .onConflict((oc) => oc.column('recording_id').doNothing()).execute();
    return this.composeCandidates(q.recordingId);
  }

  /**
   * The formats of an ended recording whose every cycle file is an asset, that ask
   * for auto_compose, have more than one file and are not merged yet.
   */
  async composeCandidates(recordingId: string): Promise<ComposeCandidate[]> {
    const ended = await this.db.selectFrom('media_recordings').select('files').where('recording_id', '=', recordingId).executeTakeFirst();
    if (!ended) return [];
    const files = JSON.parse(ended.files) as Partial<Record<RecordFormat, number>>;
    const rows = await this.db.selectFrom('media_assets').select(['asset_id', 'format', 'source', 'sequence', 'settings'])
      .where('recording_id', '=', recordingId).orderBy('sequence').execute();
    const out: ComposeCandidate[] = [];
    for (const [format, count] of Object.entries(files) as [RecordFormat, number][]) {
      const originals = rows.filter((r) => r.format === format && r.source === 'record');
      if (count < 2 || originals.length < count) continue;
      if (rows.some((r) => r.format === format && r.source === 'compose')) continue;
      if (!(JSON.parse(originals[0].settings) as VodFileSettings).autoCompose) continue;
      out.push({ recordingId, format, assetIds: originals.map((r) => r.asset_id) });
    }
    return out;
  }

  async searchAssets(q: AssetSearchQuery): Promise<Page<MediaAsset>> {
    let base = this.db.selectFrom('media_assets as a');
    if (q.categoryId) base = base.where('a.category_id', '=', q.categoryId);
    if (q.domain) base = base.where('a.domain', '=', q.domain);
    if (q.app) base = base.where('a.app', '=', q.app);
    if (q.stream) base = base.where('a.stream', '=', q.stream);
    if (q.startMs !== null) base = base.where('a.end_ms', '>', q.startMs);
    if (q.endMs !== null) base = base.where('a.start_ms', '<', q.endMs);
    if (q.status) base = base.where('a.status', '=', q.status);
    if (q.source) base = base.where('a.source', '=', q.source);
    if (q.tag) base = base.where(sql<boolean>`a.tags_text like ${containsPattern(`|${q.tag}|`)} escape '\\'`);
    if (q.title) base = base.where(sql<boolean>`lower(a.title) like ${containsPattern(q.title.toLowerCase())} escape '\\'`);
    const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await base
      .leftJoin('media_categories as c', 'c.category_id', 'a.category_id')
      .leftJoin('thumbnail_tracks as t', 't.record_id', 'a.record_id')
      .selectAll('a').select(['c.name as category_name', 't.cover_url as track_cover'])
      .orderBy('a.created_ms', q.order).orderBy('a.asset_id', q.order)
      .limit(q.pageSize).offset((q.pageNum - 1) * q.pageSize)
      .execute();
    return { items: await this.withRenditions(rows), total };
  }

  private async requireCategory(categoryId: string): Promise<Category> {
    const row = await this.db.selectFrom('media_categories').selectAll().where('category_id', '=', categoryId).executeTakeFirst();
    if (!row) throw notFound('cate_id', categoryId);
    return categoryOf(row);
  }

  async updateAsset(q: AssetUpdate, now = Date.now()): Promise<MediaAsset> {
    await this.requireAsset(q.assetId);
    if (q.categoryId) await this.requireCategory(q.categoryId);
    await this.db.updateTable('media_assets').set({
      updated_ms: now,
      ...(q.title !== undefined ? { title: q.title } : {}),
      ...(q.categoryId !== undefined ? { category_id: q.categoryId } : {}),
      ...(q.tags !== undefined ? { tags: JSON.stringify(q.tags), tags_text: tagsText(q.tags) } : {}),
    }).where('asset_id', '=', q.assetId).execute();
    return this.requireAsset(q.assetId);
  }

  async setAssetStatus(q: { assetId: string; status: AssetStatus }, now = Date.now()): Promise<void> {
    await this.db.updateTable('media_assets').set({ status: q.status, updated_ms: now }).where('asset_id', '=', q.assetId).execute();
  }

  /**
   * Removes assets with their renditions and tasks; answers what was removed (the caller deletes the objects),
   * with the segments a merge had taken over from its deleted originals (takenOver: the caller deletes those no one else uses).
   * An m3u8 original deleted while its recording's merge exists hands its file's segment references over to the merge
   * in the same transaction (segmentsShared), so no state has the asset gone and its segments unprotected.
   */
  async removeAssets(assetIds: string[]): Promise<{ removed: RemovedAsset[]; missing: string[] }> {
    const removed: RemovedAsset[] = [];
    const missing: string[] = [];
    for (const id of assetIds) {
      const a = await this.getAsset({ assetId: id });
      if (!a) {
        missing.push(id);
        continue;
      }
      // The asset's row goes first: that locks it, so a rendition being attached meanwhile
      // (attachRendition) is either refused or committed before, and then deleted and answered here.
      const gone = await this.db.transaction().execute(async (tx) => {
        const row = await tx.deleteFrom('media_assets').where('asset_id', '=', id).executeTakeFirst();
        if (Number(row.numDeletedRows) === 0) return null;
        await tx.deleteFrom('media_tasks').where('asset_id', '=', id).execute();
        const segments = await tx.deleteFrom('media_asset_segments').where('asset_id', '=', id).returning('segment_key').execute();
        const renditions = await tx.deleteFrom('media_renditions').where('asset_id', '=', id).returningAll().execute();
        const segmentsShared = a.format === 'm3u8' && a.source === 'record' && await this.handOverSegments(tx, a);
        return { renditions, takenOver: segments.map((r) => r.segment_key), segmentsShared };
      });
      if (!gone) {
        missing.push(id);
        continue;
      }
      removed.push({ ...a, renditions: gone.renditions.map(renditionOf), takenOver: gone.takenOver, segmentsShared: gone.segmentsShared });
    }
    return { removed, missing };
  }

  /**
   * An m3u8 original being deleted (in removeAssets' transaction) while its recording's merge exists:
   * the merge takes over the segment references of the original's recording file (which goes), so
   * retention keeps those segments and the merge's own deletion deletes them. The merge's row is locked
   * (a no-op update) so a concurrent removal of the merge either finished first (nothing is taken
   * over: false) or waits and then deletes these rows with it; a merge being registered locks this
   * original's row first, so it either committed before (and is found here) or is refused.
   * True when a merge took them over.
   */
  private async handOverSegments(tx: Transaction<LibraryDb>, original: Pick<MediaAsset, 'recordingId' | 'format' | 'recordId'>): Promise<boolean> {
    const merges = await tx.updateTable('media_assets').set((eb) => ({ updated_ms: eb.ref('updated_ms') }))
      .where('recording_id', '=', original.recordingId).where('format', '=', original.format).where('source', '=', 'compose')
      .returning('asset_id').execute();
    if (merges.length === 0) return false;
    if (!original.recordId) return true;
    for (const m of merges) {
      await tx.insertInto('media_asset_segments').columns(['asset_id', 'segment_key'])
        .expression((eb) => eb.selectFrom('file_segments').select([sql<string>`${m.asset_id}`.as('asset_id'), 'segment_key']).where('record_id', '=', original.recordId!))
        .onConflict((oc) => oc.doNothing()).execute();
    }
    return true;
  }

  /** The segments a merge took over from its deleted originals (handOverSegments). */
  async takenOverSegments(assetId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('media_asset_segments').select('segment_key').where('asset_id', '=', assetId).orderBy('segment_key').execute();
    return rows.map((r) => r.segment_key);
  }

  /** Whether an asset shows this cover as its own (a merge made before merges had their own cover shows its first file's). */
  async coverShown(url: string): Promise<boolean> {
    const a = await this.db.selectFrom('media_assets').select('asset_id').where('cover_url', '=', url).executeTakeFirst();
    return !!a;
  }

  /** Whether another asset (a merge of m3u8 playlists shares segments with its originals) still uses the object. */
  async objectInUse(objectKey: string): Promise<boolean> {
    const a = await this.db.selectFrom('media_assets').select('asset_id').where('object_key', '=', objectKey).executeTakeFirst();
    return !!a;
  }

  async addCategory(q: { name: string; parentId: string | null }, now = Date.now()): Promise<Category> {
    let level = 0;
    if (q.parentId) {
      const parent = await this.requireCategory(q.parentId);
      if (parent.level >= MAX_CATEGORY_LEVEL) throw new RpcFailure({ code: 'invalid_argument', message: `parent_id: categories nest at most ${MAX_CATEGORY_LEVEL + 1} levels deep; ${q.parentId} is at the deepest level` });
      level = parent.level + 1;
    }
    const id = newId('c');
    const inserted = await this.db.insertInto('media_categories').values({ category_id: id, name: q.name, parent_id: q.parentId ?? '', level, created_ms: now })
      .onConflict((oc) => oc.columns(['parent_id', 'name']).doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new RpcFailure({ code: 'already_exists', message: `cate_name: a category "${q.name}" already exists there` });
    return { id, name: q.name, parentId: q.parentId, level };
  }

  async getCategories(q: { categoryId: string | null; pageNum: number; pageSize: number }): Promise<CategoryListing> {
    const category = q.categoryId ? await this.requireCategory(q.categoryId) : null;
    const base = this.db.selectFrom('media_categories').where('parent_id', '=', q.categoryId ?? '');
    const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await base.selectAll().orderBy('created_ms').orderBy('category_id').limit(q.pageSize).offset((q.pageNum - 1) * q.pageSize).execute();
    return { category, children: { items: rows.map(categoryOf), total } };
  }

  async deleteCategory(q: { categoryId: string }): Promise<{ deleted: string[] }> {
    await this.requireCategory(q.categoryId);
    const deleted = [q.categoryId];
    for (let i = 0; i < deleted.length; i++) {
      const kids = await this.db.selectFrom('media_categories').select('category_id').where('parent_id', '=', deleted[i]).execute();
      deleted.push(...kids.map((k) => k.category_id));
    }
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('media_assets').set({ category_id: null }).where('category_id', 'in', deleted).execute();
      await tx.deleteFrom('media_categories').where('category_id', 'in', deleted).execute();
    });
    return { deleted };
  }

  async addGroup(q: { id: string | null; name: string; templates: RenditionSpec[] }, now = Date.now()): Promise<TemplateGroup> {
    const id = q.id ?? newId('g');
    const inserted = await this.db.insertInto('media_template_groups').values({ group_id: id, name: q.name, templates: JSON.stringify(q.templates), created_ms: now })
      .onConflict((oc) => oc.column('group_id').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new RpcFailure({ code: 'already_exists', message: `transcode_template_group_id: ${id} already exists` });
    return { id, name: q.name, templates: q.templates, createdMs: now };
  }

  async listGroups(): Promise<TemplateGroup[]> {
    const rows = await this.db.selectFrom('media_template_groups').selectAll().orderBy('created_ms').orderBy('group_id').execute();
    return rows.map((r) => ({ id: r.group_id, name: r.name, templates: JSON.parse(r.templates) as RenditionSpec[], createdMs: Number(r.created_ms) }));
  }

  async getGroup(q: { groupId: string }): Promise<TemplateGroup | null> {
    const r = await this.db.selectFrom('media_template_groups').selectAll().where('group_id', '=', q.groupId).executeTakeFirst();
    return r ? { id: r.group_id, name: r.name, templates: JSON.parse(r.templates) as RenditionSpec[], createdMs: Number(r.created_ms) } : null;
  }

  async deleteGroup(q: { groupId: string }): Promise<void> {
    const r = await this.db.deleteFrom('media_template_groups').where('group_id', '=', q.groupId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound('transcode_template_group_id', q.groupId);
  }

  async createTask(q: { assetId: string; groupId: string; trigger: TaskTrigger }, now = Date.now()): Promise<{ task: ProcessTask; created: boolean }> {
    await this.requireAsset(q.assetId);
    // Automatic tasks are one per (asset, group) whatever redelivers the event; a manual submission is a new task.
    const taskId = q.trigger === 'manual' ? newId('t') : `t${createHash('sha256').update(`${q.assetId}\n${q.groupId}`).digest('hex').slice(0, 24)}`;
    const inserted = await this.db.insertInto('media_tasks').values({
      task_id: taskId, asset_id: q.assetId, group_id: q.groupId, status: 'queued', error: '', attempts: 0, trigger: q.trigger, created_ms: now, completed_ms: null,
    }).onConflict((oc) => oc.column('task_id').doNothing()).executeTakeFirst();
    const task = await this.getTask({ taskId });
    if (!task) throw new Error(`task ${taskId} vanished after its insert`);
    return { task, created: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 };
  }

  async getTask(q: { taskId: string }): Promise<ProcessTask | null> {
    const r = await this.db.selectFrom('media_tasks').selectAll().where('task_id', '=', q.taskId).executeTakeFirst();
    return r ? taskOf(r) : null;
  }

  async listTasks(q: TaskListQuery): Promise<Page<ProcessTask>> {
    let base = this.db.selectFrom('media_tasks');
    if (q.assetId) base = base.where('asset_id', '=', q.assetId);
    if (q.status) base = base.where('status', '=', q.status);
    const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await base.selectAll().orderBy('created_ms', 'desc').orderBy('task_id', 'desc').limit(q.pageSize).offset((q.pageNum - 1) * q.pageSize).execute();
    return { items: rows.map(taskOf), total };
  }

  async updateTask(q: TaskUpdate, now = Date.now()): Promise<ProcessTask> {
    const done = q.status === 'succeeded' || q.status === 'failed';
    await this.db.updateTable('media_tasks').set({ status: q.status, error: q.error, attempts: q.attempts, completed_ms: done ? now : null })
      .where('task_id', '=', q.taskId).execute();
    const task = await this.getTask({ taskId: q.taskId });
    if (!task) throw notFound('transcode_task_id', q.taskId);
    return task;
  }

  /**
   * Attaches a rendition to an asset that still exists, else NOT_FOUND (the video was
   * deleted while it was processed: the caller deletes the rendition's object). The asset's
   * row is updated first, which locks it: a concurrent removeAssets either removed it before
   * (nothing is attached) or waits and then removes this rendition with it.
   */
  async attachRendition(r: Rendition, now = Date.now()): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const touched = await tx.updateTable('media_assets').set({ updated_ms: now }).where('asset_id', '=', r.assetId).executeTakeFirst();
      if (Number(touched.numUpdatedRows) === 0) throw notFound('video_id', r.assetId);
      await tx.insertInto('media_renditions').values({
        rendition_id: r.renditionId, asset_id: r.assetId, group_id: r.groupId, definition: r.definition, format: r.format, object_key: r.objectKey,
        storage_kind: r.storage.kind, bucket: r.storage.bucket, endpoint: r.storage.endpoint, url: r.url, width: r.width, height: r.height,
        duration_ms: r.durationMs, size: r.size, created_ms: r.createdMs,
      }).onConflict((oc) => oc.column('rendition_id').doUpdateSet({
        object_key: r.objectKey, url: r.url, width: r.width, height: r.height, duration_ms: r.durationMs, size: r.size, created_ms: r.createdMs,
      })).execute();
    });
  }
}
