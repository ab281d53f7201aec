import type { StorageTarget } from '../../../libs/bus/index.js';
import type { StorageBackend } from '../../../libs/storage/index.js';
import { meter, type Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueStore } from './catalogue-store.js';

export interface OrphanDeps {
  store: CatalogueStore;
  backendFor(target: StorageTarget): StorageBackend;
  log: Logger;
}

const unlocated = meter('index').createCounter('liverecord_index_orphans_unlocated_total', { description: 'Unreferenced segment objects left in storage because nothing records their bucket' });

/**
 * Deletes segment objects no file references any more, each from its own storage
 * target (its record's, or the note kept when its record expired), never from the
 * bucket of the file that referenced it. `keepCatalogued`: leave those whose record
 * is still in the catalogue (retention: they may still be clipped, and go when their
 * own record expires). Returns how many objects were deleted.
 */
export async function deleteOrphanSegments(keys: string[], deps: OrphanDeps, opts: { keepCatalogued: boolean; onError?: (key: string, err: Error) => void }): Promise<number> {
  if (keys.length === 0) return 0;
  const places = await deps.store.placesOf(keys);
  const deleted: string[] = [];
  for (const key of keys) {
    const place = places.get(key);
    if (!place) {
      unlocated.add(1);
      deps.log.warn({ key }, 'unreferenced segment object left in storage: its bucket is not recorded');
      continue;
    }
    if (opts.keepCatalogued && place.catalogued) continue;
    try {
      await deps.backendFor(place.target).delete(key);
      deleted.push(key);
    } catch (err) {
      if (!opts.onError) throw err;
      opts.onError(key, err as Error);
    }
  }
  await deps.store.removeSegmentsByKey(deleted);
  return deleted.length;
}
