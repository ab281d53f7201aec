// Retention of a stream's thumbnails: their records live as long as segment records
// (LR_RETENTION_SEGMENT_DAYS, per domain with LR_RETENTION_DOMAINS), and with
// LR_RETENTION_DELETE_OBJECTS their stored objects go with them. A file's sprite sheets, cover
// and WebVTT track go with the file's record instead (retention.ts).
import type { StorageTarget, StreamRef } from '../../../libs/bus/index.js';
import type { StorageBackend } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { RetentionPolicy } from './retention.js';
import type { DomainScope, ExpiredThumbnail, ThumbnailCatalogue } from './thumbnail-catalogue.js';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 500;
/** How long a track may wait for its file to be catalogued before it is taken for an orphan. */
const ORPHAN_TRACK_MS = DAY_MS;

export interface ThumbnailSweepDeps {
  catalogue: ThumbnailCatalogue;
  backendFor(target: StorageTarget): StorageBackend;
  /**
   * Whether the stream is live, or was moments ago (anything of it on the media plane): its
   * "latest" object is then never deleted, however old its catalogued frame.
   */
  isLive(stream: StreamRef): Promise<boolean>;
  log: Logger;
}

export interface ThumbnailSweepResult {
  /** Thumbnail records forgotten. */
  thumbnails: number;
  /** Stored thumbnail objects deleted. */
  objects: number;
  /** Expired "latest" objects kept because their stream is live. */
  keptLive: number;
}

export async function sweepThumbnails(
  deps: ThumbnailSweepDeps, policy: Pick<RetentionPolicy, 'segmentDays' | 'domains' | 'deleteObjects'>, now: number,
): Promise<ThumbnailSweepResult> {
  const { catalogue } = deps;
  const result: ThumbnailSweepResult = { thumbnails: 0, objects: 0, keptLive: 0 };
  const overridden = Object.keys(policy.domains);
  const scopes: { domains: DomainScope; segmentDays: number }[] = [
    { domains: { except: overridden }, segmentDays: policy.segmentDays },
    ...overridden.map((d) => ({ domains: { only: d }, segmentDays: policy.domains[d].segmentDays })),
  ];
  if (!policy.deleteObjects) {
    for (const s of scopes) result.thumbnails += await catalogue.expire(now - s.segmentDays * DAY_MS, now - ORPHAN_TRACK_MS, s.domains);
    return result;
  }
  // Whether each stream with an expired "latest" object is live, asked once per sweep.
  const live = new Map<string, Promise<boolean>>();
  const isLive = (stream: StreamRef) => {
    const key = `${stream.domain}/${stream.app}/${stream.stream}`;
    let answer = live.get(key);
    if (!answer) live.set(key, (answer = deps.isLive(stream)));
    return answer;
  };
  for (const scope of scopes) {
    const cutoff = now - scope.segmentDays * DAY_MS;
    let after: { atMs: number; thumbnailId: string } | undefined;
    for (;;) {
      const rows = await catalogue.expiredThumbnails(cutoff, scope.domains, BATCH, after);
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      after = { atMs: last.atMs, thumbnailId: last.thumbnailId };
      for (const t of rows) {
        const outcome = await expireOne(deps, t, cutoff, isLive);
        if (outcome === 'live') result.keptLive++;
        if (outcome === 'deleted') result.objects++;
        if (outcome === 'deleted' || outcome === 'forgotten') result.thumbnails++;
      }
    }
  }
  await catalogue.expireOrphanTracks(now - ORPHAN_TRACK_MS);
  if (result.thumbnails || result.objects) deps.log.info({ ...result }, 'thumbnail retention sweep');
  return result;
}

/**
 * One expired thumbnail: its object is deleted, then its record forgotten (a failed delete keeps
 * the record, so the next sweep tries again). A "latest" object is kept while its stream is live.
 * Any object is left in storage when it no longer holds the catalogued frame: written again since
 * (a "latest" object, or a `{Sequence}` name a later session repeats), its event not catalogued yet.
 */
async function expireOne(
  deps: ThumbnailSweepDeps, t: ExpiredThumbnail, cutoff: number, isLive: (s: StreamRef) => Promise<boolean>,
): Promise<'live' | 'deleted' | 'forgotten' | 'kept'> {
  const ctx = { objectKey: t.objectKey, atMs: t.atMs };
  try {
    const backend = deps.backendFor(t.storage);
    if (t.overwrite && (await isLive(t.stream))) return 'live';
    const stored = await backend.stat(t.objectKey);
    if (stored && stored.size !== t.size) {
      deps.log.info(ctx, 'expired thumbnail record forgotten; its object holds a newer frame and stays');
      return (await deps.catalogue.forgetThumbnail(t.thumbnailId, cutoff)) ? 'forgotten' : 'kept';
    }
    await backend.delete(t.objectKey);
  } catch (err) {
    deps.log.warn({ ...ctx, err: (err as Error).message }, 'could not delete an expired thumbnail; its record stays for the next sweep');
    return 'kept';
  }
  return (await deps.catalogue.forgetThumbnail(t.thumbnailId, cutoff)) ? 'deleted' : 'kept';
}
