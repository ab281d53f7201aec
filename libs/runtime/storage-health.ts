import { SUBJECTS, type Bus } from '../bus/index.js';

/**
 * A storage writer's view of its backend, published on lr.evt.health.storage
 * whenever it changes (and repeated while it is failing). The api's /healthz
 * reports degraded while any reporter's latest report for a target is failing.
 */
export interface StorageHealthReport {
  /** Who reports, e.g. "storage-uploader@host-1234": a later report of the same reporter and target replaces the earlier one. */
  reporter: string;
  /** The backend: "local" or "s3:{endpoint}/{bucket}". */
  target: string;
  ok: boolean;
  /** What failed (the backend's error), or what recovered. */
  detail: string;
  at: number;
  /** How long a failing report holds unless repeated, so a reporter that died cannot hold /healthz degraded for ever. */
  validForMs: number;
}

/** Publishes a report; also kept in LR_EVENTS (lr.evt.>), so an api started later reads the latest. */
export function reportStorageHealth(bus: Bus, report: Omit<StorageHealthReport, 'at' | 'validForMs'> & { validForMs?: number }): void {
  const full: StorageHealthReport = { validForMs: 120000, ...report, at: Date.now() };
  bus.nc.publish(SUBJECTS.storageHealth, JSON.stringify(full));
}
