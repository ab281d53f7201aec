// The snapshot configurations in force: a watched copy of lr_snapshot_configs (written by the
// api), so choosing a stream's configuration costs no broker round trip. Recorders take
// thumbnails by it; the ingest keeps an unrecorded stream's keyframes on the media plane by it.
import type { KV } from '@nats-io/kv';
import type { Logger } from '../telemetry/index.js';
import { bucket, type Bus } from './connection.js';
import type { StreamRef } from './payloads.js';
import { BUCKETS } from './subjects.js';
import type { SnapshotConfig } from './thumbnail-payloads.js';

const keyOf = (domain: string, app: string) => `${domain}/${app}`;

/** The configuration of a stream: its app's own, else its domain's "*" one. */
export function configFor(configs: ReadonlyMap<string, SnapshotConfig>, stream: StreamRef): SnapshotConfig | null {
  return configs.get(keyOf(stream.domain, stream.app)) ?? configs.get(keyOf(stream.domain, '*')) ?? null;
}

export class SnapshotConfigs {
  private readonly configs = new Map<string, SnapshotConfig>();
  /** Bucket key -> (domain, app) key, so a delete (which carries no value) finds its entry. */
  private readonly byBucketKey = new Map<string, string>();
  private watch: { stop(): void } | null = null;

  constructor(private bus: Bus, private log: Logger) {}

  async start(): Promise<void> {
    const kv: KV = await bucket(this.bus, BUCKETS.snapshotConfigs);
    const iter = await kv.watch();
    this.watch = iter;
    let loaded!: () => void;
    const ready = new Promise<void>((r) => (loaded = r));
    void (async () => {
      for await (const e of iter) {
        const previous = this.byBucketKey.get(e.key);
        if (previous) this.configs.delete(previous);
        this.byBucketKey.delete(e.key);
        if (e.operation === 'PUT') {
          try {
            const c = e.json<SnapshotConfig>();
            this.configs.set(keyOf(c.domain, c.app), c);
            this.byBucketKey.set(e.key, keyOf(c.domain, c.app));
          } catch (err) {
            this.log.error({ bucket: BUCKETS.snapshotConfigs, key: e.key, err: (err as Error).message }, 'malformed snapshot configuration ignored');
          }
        }
        if (e.delta === 0) loaded();
      }
    })();
    // An empty bucket delivers nothing; its watch is ready at once.
    if ((await kv.status()).values === 0) loaded();
    await ready;
  }

  configFor(stream: StreamRef): SnapshotConfig | null {
    return configFor(this.configs, stream);
  }

  stop(): void {
    this.watch?.stop();
    this.watch = null;
  }
}
