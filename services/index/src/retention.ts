import type { Config } from '../../../libs/config/index.js';
import type { StorageRegistry } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueStore } from './catalogue-store.js';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 500;

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
}

/**
 * Expires catalogue records older than the policy (per domain), and, when asked,
 * their stored objects. A segment object still referenced by a remaining file
 * (an m3u8 outlives its segments' records) is kept.
 */
export async function sweepExpired(store: CatalogueStore, storage: StorageRegistry, policy: RetentionPolicy, now: number, log: Logger): Promise<SweepResult> {
  const result: SweepResult = { files: 0, segments: 0, objects: 0 };
  const overridden = Object.keys(policy.domains);
  const scopes = [
    { domains: { except: overridden }, fileDays: policy.fileDays, segmentDays: policy.segmentDays },
    ...overridden.map((d) => ({ domains: { only: d }, ...policy.domains[d] })),
  ];
  const remove = async (kind: 'local' | 's3', bucket: string, endpoint: string, key: string) => {
    try {
      await storage.backendFor({ kind, bucket, endpoint }).delete(key);
      result.objects++;
    } catch (err) {
      log.warn({ key, err: (err as Error).message }, 'could not delete an expired object');
    }
  };
  for (const scope of scopes) {
    for (;;) {
      const files = await store.expiredFiles(now - scope.fileDays * DAY_MS, scope.domains, BATCH);
      if (files.length === 0) break;
      for (const f of files) {
        const orphans = await store.removeFile(f.record_id);
        result.files++;
        if (!policy.deleteObjects) continue;
        await remove(f.storage_kind as 'local' | 's3', f.bucket, f.endpoint, f.object_key);
        for (const key of orphans) {
          const seg = await store.segmentRowByKey(key);
          // Segment records outlive nothing here: a segment still catalogued may still be clipped.
          if (!seg) await remove(f.storage_kind as 'local' | 's3', f.bucket, f.endpoint, key);
        }
      }
    }
    for (;;) {
      const segs = await store.expiredSegments(now - scope.segmentDays * DAY_MS, scope.domains, BATCH);
      if (segs.length === 0) break;
      await store.removeSegmentIds(segs.map((s) => s.segment_id));
      result.segments += segs.length;
      if (!policy.deleteObjects) continue;
      for (const s of segs) {
        if (!(await store.isSegmentReferenced(s.object_key))) await remove(s.storage_kind as 'local' | 's3', s.bucket, s.endpoint, s.object_key);
      }
    }
  }
  if (result.files || result.segments) log.info({ ...result }, 'retention sweep');
  return result;
}
