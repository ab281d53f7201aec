// Queries of the thumbnail part of the catalogue (tables: thumbnail-schema.ts).
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type {
  CatalogFile, CatalogFileWithThumbnails, CatalogThumbnail, SnapshotInfoQuery, SnapshotInfoResult, StorageTarget, ThumbnailStored, ThumbnailTrackStored,
} from '../../../libs/bus/index.js';
import type { CatalogueDb } from './catalogue-schema.js';
import { fileRecordId } from './catalogue-store.js';
import type { ThumbnailDb, ThumbnailTracksTable, ThumbnailsTable } from './thumbnail-schema.js';

/**
 * The URL of an object stored next to another: every backend's URL of a key ends with the key
 * (safe keys need no escaping), so the track's URL is its cover's with the key swapped.
 */
export function siblingUrl(url: string, key: string, sibling: string): string {
  return url.endsWith(key) ? url.slice(0, url.length - key.length) + sibling : '';
}

export function thumbnailId(storage: StorageTarget, objectKey: string): string {
  return createHash('sha256').update(`${storage.kind}|${storage.endpoint}|${storage.bucket}|${objectKey}`).digest('base64url').slice(0, 32);
}

function toThumbnail(r: ThumbnailsTable): CatalogThumbnail {
  return {
    stream: { domain: r.domain, app: r.app, stream: r.stream }, recordingId: r.recording_id, atMs: Number(r.at_ms), objectKey: r.object_key,
    storage: { kind: r.storage_kind as StorageTarget['kind'], bucket: r.bucket, endpoint: r.endpoint }, url: r.url,
    size: Number(r.size), width: r.width, height: r.height, overwrite: r.overwrite === 1,
  };
}

export class ThumbnailCatalogue {
  private readonly db: Kysely<ThumbnailDb>;

  constructor(db: Kysely<CatalogueDb>) {
    this.db = db as unknown as Kysely<ThumbnailDb>;
  }

  /** Catalogues a stored thumbnail; the "latest" object's row moves to the newest frame only. */
  async addThumbnail(ev: ThumbnailStored, now = Date.now()): Promise<void> {
    const row: ThumbnailsTable = {
      thumbnail_id: thumbnailId(ev.storage, ev.objectKey), domain: ev.stream.domain, app: ev.stream.app, stream: ev.stream.stream,
      recording_id: ev.recordingId, at_ms: ev.atMs, object_key: ev.objectKey, storage_kind: ev.storage.kind, bucket: ev.storage.bucket,
      endpoint: ev.storage.endpoint, url: ev.url, size: ev.size, width: ev.width, height: ev.height, overwrite: ev.overwrite ? 1 : 0, created_ms: now,
    };
    await this.db.insertInto('thumbnails').values(row).onConflict((oc) => oc.column('thumbnail_id')
      .doUpdateSet((eb) => ({
        at_ms: eb.ref('excluded.at_ms'), recording_id: eb.ref('excluded.recording_id'), size: eb.ref('excluded.size'),
        width: eb.ref('excluded.width'), height: eb.ref('excluded.height'), url: eb.ref('excluded.url'),
      }))
      .where('thumbnails.at_ms', '<', (eb) => eb.ref('excluded.at_ms')))
      .execute();
  }

  async addTrack(ev: ThumbnailTrackStored, now = Date.now()): Promise<void> {
    await this.db.insertInto('thumbnail_tracks').values({
      record_id: fileRecordId(ev.recordingId, ev.format, ev.sequence), recording_id: ev.recordingId, cover_key: ev.coverKey, cover_url: ev.coverUrl,
      vtt_key: ev.vttKey, sprite_keys: JSON.stringify(ev.spriteKeys), thumbnails: ev.thumbnails,
      storage_kind: ev.storage.kind, bucket: ev.storage.bucket, endpoint: ev.storage.endpoint, created_ms: now,
    }).onConflict((oc) => oc.column('record_id').doNothing()).execute();
  }

  /** A stream's thumbnails in [startMs, endMs), `limit` of them, and where the rest begins. */
  async snapshotInfo(q: SnapshotInfoQuery): Promise<SnapshotInfoResult> {
    const rows = await this.db.selectFrom('thumbnails').selectAll()
      .where('domain', '=', q.stream.domain).where('app', '=', q.stream.app).where('stream', '=', q.stream.stream)
      .where('at_ms', '>=', q.startMs).where('at_ms', '<', q.endMs)
      .orderBy('at_ms', q.order).orderBy('thumbnail_id', q.order)
      .limit(q.limit + 1)
      .execute();
    const more = rows.length > q.limit;
    return { thumbnails: rows.slice(0, q.limit).map(toThumbnail), nextStartMs: more ? Number(rows[q.limit].at_ms) : null };
  }

  /**
   * Files with what is known of their thumbnails: their track (cover, sprites, WebVTT), or for a
   * file without one (a clip) the stream's first thumbnail within the file's time as its cover.
   */
  async withThumbnails<F extends CatalogFile>(files: F[]): Promise<(F & CatalogFileWithThumbnails)[]> {
    if (files.length === 0) return files;
    const tracks = new Map<string, ThumbnailTracksTable>();
    for (let i = 0; i < files.length; i += 500) {
      const ids = files.slice(i, i + 500).map((f) => f.recordId);
      for (const t of await this.db.selectFrom('thumbnail_tracks').selectAll().where('record_id', 'in', ids).execute()) tracks.set(t.record_id, t);
    }
    const out: (F & CatalogFileWithThumbnails)[] = [];
    // Streams without any thumbnail (the common case) cost one indexed lookup per stream, not one per file.
    const hasAny = new Map<string, boolean>();
    for (const f of files) {
      const t = tracks.get(f.recordId);
      if (t) {
        out.push({ ...f, thumbnails: { coverKey: t.cover_key, coverUrl: t.cover_url, vttKey: t.vtt_key, vttUrl: siblingUrl(t.cover_url, t.cover_key, t.vtt_key), spriteKeys: JSON.parse(t.sprite_keys) as string[] } });
        continue;
      }
      const streamKey = `${f.stream.domain}/${f.stream.app}/${f.stream.stream}`;
      if (!hasAny.has(streamKey)) {
        const any = await this.db.selectFrom('thumbnails').select('thumbnail_id')
          .where('domain', '=', f.stream.domain).where('app', '=', f.stream.app).where('stream', '=', f.stream.stream).limit(1).executeTakeFirst();
        hasAny.set(streamKey, !!any);
      }
      const cover = hasAny.get(streamKey) ? await this.db.selectFrom('thumbnails').selectAll()
        .where('domain', '=', f.stream.domain).where('app', '=', f.stream.app).where('stream', '=', f.stream.stream)
        .where('overwrite', '=', 0).where('at_ms', '>=', f.startMs).where('at_ms', '<', f.endMs)
        .orderBy('at_ms', 'asc').limit(1).executeTakeFirst() : undefined;
      out.push(cover ? { ...f, thumbnails: { coverKey: cover.object_key, coverUrl: cover.url, vttKey: '', spriteKeys: [] } } : f);
    }
    return out;
  }

  /** Forgets a file's track (the file's record goes); returns its objects, to delete with the file. */
  async removeTrack(recordId: string): Promise<{ storage: StorageTarget; keys: string[] } | null> {
    const t = await this.db.deleteFrom('thumbnail_tracks').where('record_id', '=', recordId).returningAll().executeTakeFirst();
    if (!t) return null;
    return { storage: { kind: t.storage_kind as StorageTarget['kind'], bucket: t.bucket, endpoint: t.endpoint }, keys: [t.cover_key, t.vtt_key, ...(JSON.parse(t.sprite_keys) as string[])] };
  }

  /**
   * Forgets thumbnails published before the cutoff (records only: with object deletion off the
   * retention of storage is the bucket's), and orphaned tracks (see expireOrphanTracks).
   */
  async expire(cutoffMs: number, orphanTrackBeforeMs = cutoffMs, domains: DomainScope = {}): Promise<number> {
    let q = this.db.deleteFrom('thumbnails').where('at_ms', '<', cutoffMs);
    if (domains.only !== undefined) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    const r = await q.executeTakeFirst();
    await this.expireOrphanTracks(orphanTrackBeforeMs);
    return Number(r.numDeletedRows ?? 0);
  }

  /**
   * Thumbnails whose newest frame is older than the cutoff, oldest first, `limit` of them after
   * `after` (keyset paging: a row the caller keeps is not read again in the same sweep).
   */
  async expiredThumbnails(cutoffMs: number, domains: DomainScope, limit: number, after?: { atMs: number; thumbnailId: string }): Promise<ExpiredThumbnail[]> {
    let q = this.db.selectFrom('thumbnails').selectAll().where('at_ms', '<', cutoffMs);
    if (domains.only !== undefined) q = q.where('domain', '=', domains.only);
    if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
    if (after) q = q.where((eb) => eb.or([eb('at_ms', '>', after.atMs), eb.and([eb('at_ms', '=', after.atMs), eb('thumbnail_id', '>', after.thumbnailId)])]));
    const rows = await q.orderBy('at_ms', 'asc').orderBy('thumbnail_id', 'asc').limit(limit).execute();
    return rows.map((r) => ({ ...toThumbnail(r), thumbnailId: r.thumbnail_id }));
  }

  /**
   * Forgets one thumbnail record if it is still older than the cutoff (a newer frame of the same
   * object, catalogued meanwhile, keeps it). Returns whether it was forgotten.
   */
  async forgetThumbnail(thumbnailId: string, cutoffMs: number): Promise<boolean> {
    const r = await this.db.deleteFrom('thumbnails').where('thumbnail_id', '=', thumbnailId).where('at_ms', '<', cutoffMs).executeTakeFirst();
    return Number(r.numDeletedRows ?? 0) > 0;
  }

  /**
   * Forgets tracks whose file record does not exist, made before `beforeMs` (longer ago than a
   * track can wait for its file to be catalogued). A file that expires takes its track (and, with
   * object deletion, its objects) with it in the retention sweep; what is left here is the track
   * of a file that never reached the catalogue, whose objects stay like the file's own.
   */
  async expireOrphanTracks(beforeMs: number): Promise<void> {
    await this.db.deleteFrom('thumbnail_tracks').where('created_ms', '<', beforeMs)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('record_files').select('record_files.record_id').whereRef('record_files.record_id', '=', 'thumbnail_tracks.record_id'))))
      .execute();
  }
}

export type DomainScope = { only?: string; except?: string[] };

export type ExpiredThumbnail = CatalogThumbnail & { thumbnailId: string };
