import type { StorageTarget } from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import type { StorageBackend } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueStore } from './catalogue-store.js';
import { deleteOrphanSegments } from './orphan-segments.js';
import { expireRuns, forgetPhasesBefore } from './recording-activity.js';
import { ThumbnailCatalogue } from './thumbnail-catalogue.js';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 500;
/** How long a recording that stopped recording keeps its phase row (a guard against late state events). */
const PHASE_GUARD_MS = 7 * DAY_MS;

export interface RetentionPolicy {
  fileDays: number;
  segmentDays: number;
  /** Per-domain overrides. */
  domains: Record<string, { fileDays: number; segmentDays: number }>;
  deleteObjects: boolean;
}

export function retentionPolicy(config: Config): RetentionPolicy {
  const domains: RetentionPolicy['domains'] = {};
  for (const [domain, spec] of Object.entries(config.retention.domains)) {
    const [fileDays, segmentDays] = spec.split(':').map(Number);
    domains[domain] = { fileDays, segmentDays };
  }
  return { fileDays: config.retention.fileDays, segmentDays: config.retention.segmentDays, domains, deleteObjects: config.retention.deleteObjects };
}

export interface SweepResult {
  files: number;
  segments: number;
  objects: number;
  /** Recording runs (usage history) expired with the files of their domain. */
  runs: number;
}

export interface SweepDeps {
  store: CatalogueStore;
  backendFor(target: StorageTarget): StorageBackend;
  log: Logger;
}

/**
 * Expires catalogue records older than the policy (per domain), and, when asked,
 * their stored objects. A segment object still referenced by a remaining file
 * (an m3u8 outlives its segments' records) is kept, with a note of its bucket, and
 * deleted from that bucket when the last file referencing it expires. A file's thumbnail track
 * (cover, sprite sheets, WebVTT) goes with the file.
 */
export async function sweepExpired(deps: SweepDeps, policy: RetentionPolicy, now: number): Promise<SweepResult> {
  const { store, log } = deps;
  const result: SweepResult = { files: 0, segments: 0, objects: 0, runs: 0 };
  const overridden = Object.keys(policy.domains);
  const scopes = [
    { domains: { except: overridden }, fileDays: policy.fileDays, segmentDays: policy.segmentDays },
    ...overridden.map((d) => ({ domains: { only: d }, ...policy.domains[d] })),
  ];
  const thumbnails = new ThumbnailCatalogue(store.db);
  const onError = (key: string, err: Error) => log.warn({ key, err: err.message }, 'could not delete an expired object');
  for (const scope of scopes) {
    for (;;) {
      const files = await store.expiredFiles(now - scope.fileDays * DAY_MS, scope.domains, BATCH);
      if (files.length === 0) break;
      for (const f of files) {
        const orphans = await store.removeFile(f.record_id);
        // The file's cover, sprite sheets and WebVTT track go with it.
        const track = await thumbnails.removeTrack(f.record_id);
        result.files++;
        if (!policy.deleteObjects) {
          // Nothing will delete these objects: the notes of where they are serve no one.
          await store.forgetRetained(orphans);
          continue;
        }
        try {
          await deps.backendFor({ kind: f.storage_kind as 'local' | 's3', bucket: f.bucket, endpoint: f.endpoint }).delete(f.object_key);
          result.objects++;
        } catch (err) {
          onError(f.object_key, err as Error);
        }
        if (track) {
          const backend = deps.backendFor(track.storage);
          for (const key of track.keys) {
            try {
              await backend.delete(key);
              result.objects++;
            } catch (err) {
              onError(key, err as Error);
            }
          }
        }
        // Segment records outlive nothing here: a segment still catalogued may still be clipped.
        result.objects += await deleteOrphanSegments(orphans, deps, { keepCatalogued: true, onError });
      }
    }
    // Usage figures last as long as the files they describe.
    result.runs += await expireRuns(store.db, now - scope.fileDays * DAY_MS, scope.domains);
    for (;;) {
      const segs = await store.expiredSegments(now - scope.segmentDays * DAY_MS, scope.domains, BATCH);
      if (segs.length === 0) break;
      const referenced = await store.referencedSegments(segs);
      await store.expireSegments(segs, referenced, now);
      result.segments += segs.length;
      if (!policy.deleteObjects) continue;
      for (const s of segs) {
        if (referenced.has(s.object_key)) continue;
        try {
          await deps.backendFor({ kind: s.storage_kind as 'local' | 's3', bucket: s.bucket, endpoint: s.endpoint }).delete(s.object_key);
          result.objects++;
        } catch (err) {
          onError(s.object_key, err as Error);
        }
      }
    }
  }
  await forgetPhasesBefore(store.db, now - PHASE_GUARD_MS);
  if (result.files || result.segments || result.runs) log.info({ ...result }, 'retention sweep');
  return result;
}
