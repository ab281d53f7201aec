import { hostname } from 'node:os';
import type { Bus, StorageTarget } from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { reportStorageHealth } from '../../../libs/runtime/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';

/** A write to the storage backend failed (as opposed to the announcement on the bus, or corrupt bytes). */
export class StorageFailure extends Error {
  override readonly name = 'StorageFailure';
  constructor(readonly target: StorageTarget, override readonly cause: Error) {
    super(cause.message);
  }
}

/** While a backend keeps failing, the report is repeated this often (a report holds 2 min unless repeated). */
const REPEAT_MS = 30000;

/**
 * Tells the api (/healthz) which storage backends this uploader cannot write to:
 * a report when a target starts failing, repeated while it fails, and one when a
 * write to it succeeds again.
 */
export class StorageHealth {
  private readonly reporter = `storage-uploader@${hostname()}-${process.pid}`;
  private readonly failingSince = new Map<string, number>();
  private readonly lastReport = new Map<string, number>();

  constructor(private bus: Bus, private config: Config, private log: Logger) {}

  private name(t: StorageTarget): string {
    return t.kind === 'local' ? 'local' : `s3:${t.endpoint || this.config.storage.s3.endpoint}/${t.bucket}`;
  }

  failed(t: StorageTarget, err: Error, now = Date.now()): void {
    const target = this.name(t);
    if (!this.failingSince.has(target)) this.failingSince.set(target, now);
    if (now - (this.lastReport.get(target) ?? 0) < REPEAT_MS) return;
    this.publish(target, false, err.message, now);
  }

  succeeded(t: StorageTarget, now = Date.now()): void {
    const target = this.name(t);
    const since = this.failingSince.get(target);
    if (since === undefined) return;
    this.failingSince.delete(target);
    this.publish(target, true, `writes succeed again after ${Math.round((now - since) / 1000)} s`, now);
  }

  private publish(target: string, ok: boolean, detail: string, now: number): void {
    this.lastReport.set(target, now);
    try {
      reportStorageHealth(this.bus, { reporter: this.reporter, target, ok, detail });
    } catch (err) {
      // The broker is away too: the next failure or success reports again.
      this.lastReport.delete(target);
      this.log.warn({ target, ok, err: (err as Error).message }, 'could not report storage health');
    }
  }
}
