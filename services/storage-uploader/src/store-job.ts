import { rm, stat } from 'node:fs/promises';
import {
  SUBJECTS, publishDurable,
  type Bus, type FileStored, type SegmentStored, type StorageTarget, type UploadJob,
} from '../../../libs/bus/index.js';
import { ChecksumMismatchError, isChecksumRejection, type StorageBackend, type StoredInfo, type Verification } from '../../../libs/storage/index.js';
import { StorageFailure } from './storage-health.js';

export type StoreOutcome =
  | { outcome: 'stored'; info: StoredInfo; verifiedBy: Verification }
  /** Redelivered after its spool copy was removed: the stored object was announced again. */
  | { outcome: 'announced_again'; info: StoredInfo }
  /** Neither a spool copy nor a stored object: nothing left to store. */
  | { outcome: 'lost' };

export interface StoreDeps {
  bus: Bus;
  backendFor(target: StorageTarget): StorageBackend;
}

/**
 * Stores one job's spool file and announces it. The backend's put resolves only
 * for an object verified to hold the spool bytes (it rejects otherwise, and the
 * job is retried), and the spool copy is deleted only after that and after the
 * announcement, so a crash at any point loses nothing.
 */
export async function storeJob(job: UploadJob, deps: StoreDeps): Promise<StoreOutcome> {
  const backend = deps.backendFor(job.storage);
  const spoolExists = await stat(job.spoolPath).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false;
    throw err;
  });
  // Backend errors are told apart from the bus's: they make the backend unhealthy (corrupt bytes do not).
  const onBackend = (err: Error): never => {
    throw err instanceof ChecksumMismatchError || isChecksumRejection(err) ? err : new StorageFailure(job.storage, err);
  };
  let result: StoreOutcome;
  if (spoolExists) {
    const put = await backend.put(job.objectKey, job.spoolPath, job.contentType).catch(onBackend);
    result = { outcome: 'stored', info: { size: put.size, sha256: put.sha256 }, verifiedBy: put.verifiedBy };
  } else {
    // The spool copy is deleted only after a verified put and the announcement: the object is stored.
    const info = await backend.stat(job.objectKey).catch(onBackend);
    if (!info) return { outcome: 'lost' };
    result = { outcome: 'announced_again', info };
  }
  // An init segment (or an flv part) is referenced by playlists and joined files; nothing catalogues it
  // on its own. The recorder keeps its own link to a part it will join, so the spool copy can go.
  if (job.kind === 'init') {
    if (spoolExists) await rm(job.spoolPath, { force: true });
    return result;
  }
  const base = { objectKey: job.objectKey, storage: job.storage, size: result.info.size, sha256: result.info.sha256, url: backend.urlOf(job.objectKey) };
  if (job.kind === 'segment') {
    const ev: SegmentStored = { ...base, segment: job.segment };
    await publishDurable(deps.bus, SUBJECTS.segmentStored, ev, `stored:${job.id}`);
  } else {
    const ev: FileStored = { ...base, file: job.file };
    await publishDurable(deps.bus, SUBJECTS.fileStored, ev, `stored:${job.id}`);
  }
  if (spoolExists) await rm(job.spoolPath, { force: true });
  return result;
}
