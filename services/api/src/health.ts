import { mkdir, open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { STREAMS, SUBJECTS, type Bus, type SpoolPressure } from '../../../libs/bus/index.js';
import type { StorageHealthReport } from '../../../libs/runtime/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';

export interface Health {
  status: 'ok' | 'degraded';
  /** Why it is degraded, one line each, naming the part that fails. */
  reasons: string[];
  nats: 'connected' | 'disconnected' | 'reconnecting' | 'closed';
  storage: 'ok' | 'failing';
}

/** Below this much free space the local storage is reported failing before writes start to fail. */
const MIN_FREE_BYTES = 16 * 1024 * 1024;
/** The local-disk probe runs at most this often, however often /healthz is asked. */
const PROBE_EVERY_MS = 1000;

/**
 * What /healthz reports. Degraded (HTTP 503) while the broker connection is
 * down, while any storage writer's latest report says its backend fails
 * (lr.evt.health.storage), while the spool is over its limit
 * (lr.evt.spool.pressure: storage is falling behind), or while the local
 * storage root cannot be written (a probe file, or too little free space).
 */
export class HealthMonitor {
  private broker: Health['nats'] = 'connected';
  private readonly storageReports = new Map<string, StorageHealthReport>();
  private spool: SpoolPressure | null = null;
  private probe: { at: number; problem: Promise<string | null> } | null = null;
  private subs: { unsubscribe(): void }[] = [];
  private statusIter: { stop?(): void } | null = null;

  constructor(private bus: Bus, private localRoot: string, private log: Logger) {}

  async start(): Promise<void> {
    const iter = this.bus.nc.status();
    this.statusIter = iter as { stop?(): void };
    void (async () => {
      for await (const s of iter) {
        if (s.type === 'disconnect') this.broker = 'disconnected';
        else if (s.type === 'reconnecting') this.broker = 'reconnecting';
        else if (s.type === 'reconnect') this.broker = 'connected';
        else if (s.type === 'close') this.broker = 'closed';
        else continue;
        this.log.info({ nats: this.broker }, 'broker connection changed');
      }
    })().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'broker status watch ended'));
    this.subs.push(this.bus.nc.subscribe(SUBJECTS.storageHealth, { callback: (err, msg) => (err ? this.log.error({ err: err.message }, 'storage health subscription failed') : this.onStorageReport(msg.string())) }));
    this.subs.push(this.bus.nc.subscribe(SUBJECTS.spoolPressure, { callback: (err, msg) => (err ? this.log.error({ err: err.message }, 'spool pressure subscription failed') : this.onSpoolPressure(msg.string())) }));
    // What was reported before this api started: the latest of each, from the event log.
    for (const [subject, take] of [[SUBJECTS.storageHealth, (d: string) => this.onStorageReport(d)], [SUBJECTS.spoolPressure, (d: string) => this.onSpoolPressure(d)]] as const) {
      try {
        const last = await this.bus.jsm.streams.getMessage(STREAMS.events, { last_by_subj: subject });
        if (last) take(last.string());
      } catch (err) {
        if (!/no message found|not found/i.test((err as Error).message)) this.log.warn({ subject, err: (err as Error).message }, 'could not read the latest report');
      }
    }
  }

  private onStorageReport(data: string): void {
    try {
      const r = JSON.parse(data) as StorageHealthReport;
      const key = `${r.reporter}|${r.target}`;
      const prev = this.storageReports.get(key);
      if (!prev || prev.at <= r.at) this.storageReports.set(key, r);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'malformed storage health report ignored');
    }
  }

  private onSpoolPressure(data: string): void {
    try {
      const p = JSON.parse(data) as SpoolPressure;
      if (!this.spool || this.spool.at <= p.at) this.spool = p;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'malformed spool pressure event ignored');
    }
  }

  /** Writes, syncs and removes a small file under the storage root, and checks the free space. */
  private async probeLocalDisk(): Promise<string | null> {
    const dir = join(this.localRoot, '.liverecord-health');
    const file = join(dir, `probe-${process.pid}`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(file, 'w');
      try {
        await fh.write(Buffer.alloc(4096));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rm(file, { force: true });
      const fs = await statfs(this.localRoot);
      const free = fs.bavail * fs.bsize;
      if (free < MIN_FREE_BYTES) return `storage: local disk ${this.localRoot} has ${Math.floor(free / 1024)} KiB free`;
      return null;
    } catch (err) {
      return `storage: local disk ${this.localRoot} is not writable (${(err as Error).message})`;
    }
  }

  private localDiskProblem(now: number): Promise<string | null> {
    if (!this.probe || now - this.probe.at >= PROBE_EVERY_MS) this.probe = { at: now, problem: this.probeLocalDisk() };
    return this.probe.problem;
  }

  async check(now = Date.now()): Promise<Health> {
    const reasons: string[] = [];
    const nats = this.bus.nc.isClosed() ? 'closed' : this.broker;
    if (nats !== 'connected') reasons.push(`broker: ${nats}`);
    let storageFailing = false;
    for (const r of this.storageReports.values()) {
      if (r.ok || now - r.at > r.validForMs) continue;
      storageFailing = true;
      reasons.push(`storage: ${r.target} failing for ${r.reporter}: ${r.detail}`);
    }
    if (this.spool?.full) {
      storageFailing = true;
      reasons.push(`storage: the spool holds ${this.spool.bytes} bytes, over its limit of ${this.spool.limit}: storage is falling behind`);
    }
    const disk = await this.localDiskProblem(now);
    if (disk) {
      storageFailing = true;
      reasons.push(disk);
    }
    return { status: reasons.length ? 'degraded' : 'ok', reasons, nats, storage: storageFailing ? 'failing' : 'ok' };
  }

  stop(): void {
    this.statusIter?.stop?.();
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
