import type { KV } from '@nats-io/kv';
import { BUCKETS, bucket, type Bus } from '../bus/index.js';

export interface DomainKeys {
  primary: string;
  secondary: string;
}

export interface KeysWithSource extends DomainKeys {
  source: 'api' | 'config' | 'none';
}

/**
 * Publish signing keys: set over gRPC into KV `lr_publish_auth` (these win) or
 * configured (LR_PUBLISH_AUTH_KEYS). The ingest keeps a watched copy so a publish
 * is checked without a broker round trip, and a rotation applies at once on every node.
 */
export class PublishKeys {
  private kv!: KV;
  private readonly mirror = new Map<string, DomainKeys>();
  private stopWatch: (() => void) | null = null;

  constructor(private bus: Bus, private configured: Record<string, string>) {}

  async open(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.publishAuth);
  }

  /** Follows the bucket; resolves once its current content is loaded. */
  async watch(onError: (err: Error) => void, onChange?: (domain: string) => void): Promise<void> {
    await this.open();
    const iter = await this.kv.watch();
    this.stopWatch = () => iter.stop();
    let loaded!: () => void;
    const ready = new Promise<void>((r) => (loaded = r));
    void (async () => {
      for await (const e of iter) {
        try {
          if (e.operation === 'PUT') this.mirror.set(e.key, e.json<DomainKeys>());
          else this.mirror.delete(e.key);
          onChange?.(e.key);
        } catch (err) {
          onError(err as Error);
        }
        if (e.delta === 0) loaded();
      }
    })().catch(onError);
    if ((await this.kv.status()).values === 0) loaded();
    await ready;
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = null;
  }

  /** From the watched copy (ingest). */
  current(domain: string): KeysWithSource {
    const set = this.mirror.get(domain);
    if (set) return { ...set, source: 'api' };
    return fromConfig(this.configured, domain);
  }

  /** From the bucket itself (api: it does not watch). */
  async read(domain: string): Promise<KeysWithSource> {
    const e = await this.kv.get(domain);
    if (e && e.operation === 'PUT') return { ...e.json<DomainKeys>(), source: 'api' };
    return fromConfig(this.configured, domain);
  }

  async set(domain: string, keys: DomainKeys): Promise<void> {
    if (!keys.primary && !keys.secondary) await this.kv.delete(domain);
    else await this.kv.put(domain, JSON.stringify(keys));
  }
}

/** LR_PUBLISH_AUTH_KEYS holds domain=primary or domain=primary:secondary pairs. */
export function fromConfig(configured: Record<string, string>, domain: string): KeysWithSource {
  const v = configured[domain];
  if (!v) return { primary: '', secondary: '', source: 'none' };
  const [primary, secondary = ''] = v.split(':');
  return { primary, secondary, source: 'config' };
}
