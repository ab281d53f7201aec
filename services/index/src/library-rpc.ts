// Serves the media library's catalogue operations (lr.rpc.index.library_{op}):
// the index owns the catalogue database, so the library service and the api
// reach these tables through it, never with a connection of their own.
import type { Kysely } from 'kysely';
import {
  LIBRARY_OPS, SUBJECTS, serve, streamLabel,
  type Bus, type DeleteAssetsResult, type LibraryOp, type LibraryOps, type MediaAsset,
} from '../../../libs/bus/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueDb } from './catalogue-schema.js';
import { LibraryStore, type LibraryReadTables } from './library-store.js';
import { deleteOrphanSegments, type OrphanDeps } from './orphan-segments.js';
import { deleteRecords } from './record-deletion.js';
// A pure naming rule shared with the library service, which makes the merge's cover.
import { mergedCoverKey } from '../../library/src/asset-registration.js';

/**
 * DeleteVideo: the assets' rows, then their objects: renditions, a merged file
 * (an m3u8 merge references its originals' segments, which stay while an original lists them) with its own cover, and the
 * recording file of an original (through the index's own record deletion, which
 * also removes the segments nothing else references; while an m3u8 merge of its
 * recording exists, only the original's playlist and thumbnail track go, and the merge takes over its segments:
 * retention keeps them, and the merge's own deletion deletes those nothing else references).
 */
export async function deleteAssets(store: LibraryStore, assetIds: string[], deps: OrphanDeps): Promise<DeleteAssetsResult> {
  const { removed, missing } = await store.removeAssets(assetIds);
  let deletedObjects = 0;
  for (const a of removed) {
    for (const r of a.renditions) {
      await deps.backendFor(r.storage).delete(r.objectKey);
      deletedObjects++;
    }
    // An m3u8 merge plays its originals' segments: while it exists, an original takes only its playlist
    // (and its thumbnail track) along; the merge took over the segment references of its recording file
    // in the transaction that removed the asset (removeAssets: segmentsShared).
    if (a.source === 'record' && a.recordId && !a.segmentsShared) {
      const r = await deleteRecords({ stream: a.stream, recordIds: [a.recordId], removeFile: true }, deps);
      deletedObjects += r.deletedObjects;
      // Catalogue record already gone (retention): the file itself still goes.
      if (r.results[0]?.message === 'NOT_FOUND') deletedObjects += await deleteObject(store, a, deps);
    } else {
      if (a.recordId) deletedObjects += (await deleteRecords({ stream: a.stream, recordIds: [a.recordId], removeFile: false }, deps, { removeTrack: true, shown: (url) => store.coverShown(url) })).deletedObjects;
      deletedObjects += await deleteObject(store, a, deps);
    }
    // A merge that took over its deleted originals' segments was the last asset playing them:
    // as an original's deletion does, those no other record (or asset) references go, records and objects.
    if (a.takenOver.length > 0) deletedObjects += await deleteOrphanSegments(await unreferenced(deps, a.takenOver), deps, { keepCatalogued: false });
    // A merge's cover is its own copy (services/library compose-worker); a merge made before
    // that shows its first file's cover, which is that file's to delete, so only the own key goes.
    if (a.source === 'compose' && a.coverUrl) {
      const backend = deps.backendFor(a.storage);
      const cover = mergedCoverKey(a.objectKey);
      if (a.coverUrl === backend.urlOf(cover)) {
        await backend.delete(cover);
        deletedObjects++;
      }
    }
    deps.log.info({ assetId: a.assetId, stream: streamLabel(a.stream), renditions: a.renditions.length }, 'media asset deleted');
  }
  return { missing, deletedObjects };
}

/** Which of these segment keys no file (nor another asset) references. */
async function unreferenced(deps: OrphanDeps, keys: string[]): Promise<string[]> {
  const referenced = await deps.store.referencedKeys(keys);
  return keys.filter((k) => !referenced.has(k));
}

async function deleteObject(store: LibraryStore, a: MediaAsset, deps: OrphanDeps): Promise<number> {
  if (await store.objectInUse(a.objectKey)) return 0;
  await deps.backendFor(a.storage).delete(a.objectKey);
  return 1;
}

export function serveLibrary(bus: Bus, db: Kysely<CatalogueDb>, deps: OrphanDeps, log: Logger, queue: string): { stop(): void }[] {
  const store = new LibraryStore(db.withTables<LibraryReadTables>());
  const ops: LibraryOps = {
    registerAsset: (q) => store.registerAsset(q),
    noteRecordingEnd: (q) => store.noteRecordingEnd(q),
    getAsset: (q) => store.getAsset(q),
    searchAssets: (q) => store.searchAssets(q),
    updateAsset: (q) => store.updateAsset(q),
    setAssetStatus: (q) => store.setAssetStatus(q),
    deleteAssets: (q) => deleteAssets(store, q.assetIds, deps),
    addCategory: (q) => store.addCategory(q),
    getCategories: (q) => store.getCategories(q),
    deleteCategory: (q) => store.deleteCategory(q),
    addGroup: (q) => store.addGroup(q),
    listGroups: () => store.listGroups(),
    getGroup: (q) => store.getGroup(q),
    deleteGroup: (q) => store.deleteGroup(q),
    createTask: (q) => store.createTask(q),
    getTask: (q) => store.getTask(q),
    listTasks: (q) => store.listTasks(q),
    updateTask: (q) => store.updateTask(q),
    attachRendition: (q) => store.attachRendition(q),
  };
  return LIBRARY_OPS.map((op: LibraryOp) => serve(bus, SUBJECTS.libraryOp(op), 'index', log, (q: never) => (ops[op] as (q: never) => Promise<unknown>)(q), queue));
}
