// The snapshot configurations in force: a watched copy of lr_snapshot_configs (written by the
// api), so choosing a stream's configuration costs no broker round trip. Recorders take
// thumbnails by it; the ingest keeps an unrecorded stream's keyframes on the media plane by it.
// A watch that ends or fails (the broker lost, its consumer gone) is logged and opened again;
// the copy in force is kept meanwhile and replaced whole once the new watch has read the bucket.
import type { KV } from '@nats-io/kv';
import type { Logger } from '../telemetry/index.js';
import { bucket, type Bus } from './connection.js';
import { ReopenBackoff } from './reopen-backoff.js';
import type { StreamRef } from './payloads.js';
import { BUCKETS } from './subjects.js';
import type { SnapshotConfig } from './thumbnail-payloads.js';

const keyOf = (domain: string, app: string) => `${domain}/${app}`;

/** The configuration of a stream: its app's own, else its domain's "*" one. */
export function configFor(configs: ReadonlyMap<string, SnapshotConfig>, stream: StreamRef): SnapshotConfig | null {
  return configs.get(keyOf(stream.domain, stream.app)) ?? configs.get(keyOf(stream.domain, '*')) ?? null;
}

/** One watch's view: its own maps, swapped in once it has read the bucket. */
interface WatchView {
  configs: Map<string, SnapshotConfig>;
  /** Bucket key -> (domain, app) key, so a delete (which carries no value) finds its entry. */
  byBucketKey: Map<string, string>;
}

export class SnapshotConfigs {
  private view: WatchView = { configs: new Map(), byBucketKey: new Map() };
  private watch: { stop(): void } | null = null;
  private stopped = false;
  private readonly reopen = new ReopenBackoff();
  /** Watches opened (the first included): diagnostics and tests. */
  opened = 0;

  constructor(private bus: Bus, private log: Logger) {}

  /** Resolves once the bucket is read; rejects when the first watch cannot be opened or fails before. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  /** Opens a watch; resolves once it has read the bucket (its view then in force), rejects if it ends first. */
  private async open(): Promise<void> {
    const kv: KV = await bucket(this.bus, BUCKETS.snapshotConfigs);
    const iter = await kv.watch();
    this.opened++;
    if (this.stopped) {
      iter.stop();
      return;
    }
    this.watch = iter;
    const view: WatchView = { configs: new Map(), byBucketKey: new Map() };
    let loaded = false;
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const load = () => {
      if (loaded) return;
      loaded = true;
      this.view = view;
      this.reopen.reset();
      settle.resolve();
    };
    void (async () => {
      for await (const e of iter) {
        const previous = view.byBucketKey.get(e.key);
        if (previous) view.configs.delete(previous);
        view.byBucketKey.delete(e.key);
        if (e.operation === 'PUT') {
          try {
            const c = e.json<SnapshotConfig>();
            view.configs.set(keyOf(c.domain, c.app), c);
            view.byBucketKey.set(e.key, keyOf(c.domain, c.app));
          } catch (err) {
            this.log.error({ bucket: BUCKETS.snapshotConfigs, key: e.key, err: (err as Error).message }, 'malformed snapshot configuration ignored');
          }
        }
        if (e.delta === 0) load();
      }
    })().then(
      () => this.ended(iter, loaded, settle.reject, null),
      (err: unknown) => this.ended(iter, loaded, settle.reject, err as Error),
    );
    // An empty bucket delivers nothing; its watch is ready at once.
    if ((await kv.status()).values === 0) load();
    await ready;
  }

  /** A watch ended: by stop(), or by itself (logged; a loaded one is opened again, a first one fails start()). */
  private ended(iter: { stop(): void }, loaded: boolean, reject: (err: Error) => void, err: Error | null): void {
    const why = err ? err.message : 'the watch ended';
    // Its opener is told either way (a stop() during start() included); a rejection is its caller's to report.
    if (!loaded && !this.stopped) this.log.error({ bucket: BUCKETS.snapshotConfigs, err: why }, 'snapshot configuration watch failed before reading the bucket');
    if (!loaded) reject(new Error(`snapshot configurations: ${this.stopped ? 'stopped' : why} before the bucket was read`));
    if (this.stopped || this.watch !== iter) return;
    this.watch = null;
    if (!loaded) return;
    this.log.error({ bucket: BUCKETS.snapshotConfigs, err: why, reopenInMs: this.reopen.nextInMs }, 'snapshot configuration watch ended; the configurations read so far stay in force until it is open again');
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.reopen.schedule(() => {
      if (this.stopped) return;
      this.open().then(
        () => this.log.info({ bucket: BUCKETS.snapshotConfigs, configurations: this.view.configs.size }, 'snapshot configuration watch open again'),
        (err: unknown) => {
          this.log.error({ bucket: BUCKETS.snapshotConfigs, err: (err as Error).message, reopenInMs: this.reopen.nextInMs }, 'snapshot configuration watch not opened again; retrying');
          if (!this.stopped && !this.watch) this.scheduleReopen();
        },
      );
    });
  }

  configFor(stream: StreamRef): SnapshotConfig | null {
    return configFor(this.view.configs, stream);
  }

  stop(): void {
    this.stopped = true;
    this.reopen.cancel();
    this.watch?.stop();
    this.watch = null;
  }
}
