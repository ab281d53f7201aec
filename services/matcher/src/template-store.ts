import type { KV } from '@nats-io/kv';
import {
  BUCKETS, RpcFailure, bucket, streamToken,
  type Bus, type MatchDecision, type NotifyConfig, type Page, type PageQuery, type RecordTemplate, type StreamRef, type TemplateListQuery,
} from '../../../libs/bus/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';

const label = (t: Pick<RecordTemplate, 'domain' | 'app' | 'stream'>) => `${t.domain}/${t.app}/${t.stream}`;
const kindName = (kind: RecordTemplate['kind']) => (kind === 'oss' ? 'object-storage' : 'media-library');

/**
 * Templates, callback configuration and last decisions, kept in NATS KV so they
 * survive restarts. Templates are keyed by (domain, app, stream) whatever their
 * kind, so one key can have one target only. The matcher's hot path reads a
 * watched in-memory copy; management reads the bucket itself.
 */
export class TemplateStore {
  private templatesKv!: KV;
  private notifyKv!: KV;
  private decisionsKv!: KV;
  private readonly cache = new Map<string, RecordTemplate>();
  private readonly notifyCache = new Map<string, NotifyConfig>();
  private watchers: { stop(): void }[] = [];
  /** The newest bucket revision the templates mirror has applied, and who waits for a newer one. */
  private templatesRevision = 0;
  private revisionWaiters: { revision: number; resolve(): void }[] = [];

  constructor(private bus: Bus, private log: Logger) {}

  async start(): Promise<void> {
    this.templatesKv = await bucket(this.bus, BUCKETS.templates);
    this.notifyKv = await bucket(this.bus, BUCKETS.notify);
    this.decisionsKv = await bucket(this.bus, BUCKETS.decisions);
    await this.mirror(this.templatesKv, this.cache, (revision) => this.applied(revision));
    await this.mirror(this.notifyKv, this.notifyCache);
  }

  /** Keeps a map equal to a bucket; resolves once the bucket's current content is loaded. */
  private async mirror<T>(kv: KV, into: Map<string, T>, onRevision?: (revision: number) => void): Promise<void> {
    const iter = await kv.watch();
    this.watchers.push({ stop: () => iter.stop() });
    let loaded!: () => void;
    const ready = new Promise<void>((r) => (loaded = r));
    void (async () => {
      for await (const e of iter) {
        if (e.operation === 'PUT') {
          try {
            into.set(e.key, e.json<T>());
          } catch {
            this.log.error({ bucket: kv, key: e.key }, 'malformed entry ignored');
          }
        } else into.delete(e.key);
        onRevision?.(e.revision);
        if (e.delta === 0) loaded();
      }
    })();
    // An empty bucket delivers nothing; its watch is ready at once.
    const status = await kv.status();
    if (status.values === 0) loaded();
    await ready;
  }

  matchable(): RecordTemplate[] {
    return [...this.cache.values()];
  }

  notifyFor(domain: string): NotifyConfig | null {
    return this.notifyCache.get(domain) ?? null;
  }

  async add(t: RecordTemplate): Promise<RecordTemplate> {
    const body = JSON.stringify(t);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.templatesKv.create(t.id, body);
        break;
      } catch (err) {
        const existing = await this.read(t.id);
        // A create that reached the broker but whose answer was lost (a slow broker) left our own template.
        if (existing && JSON.stringify(existing) === body) break;
        if (existing) throw new RpcFailure({ code: 'already_exists', message: `a ${kindName(existing.kind)} template for ${label(t)} already exists (a stream records to one target only)` });
        // Neither created nor there: the broker was slow or away, or a delete raced the check. Creating again is safe.
        if (attempt >= 3) {
          this.log.error({ templateId: t.id, err: (err as Error).message }, 'could not store a template');
          throw new RpcFailure({ code: 'internal', message: `could not store the template for ${label(t)}: ${(err as Error).message}` });
        }
        this.log.warn({ templateId: t.id, attempt, err: (err as Error).message }, 'storing a template failed; trying again');
      }
    }
    this.cache.set(t.id, t);
    this.log.info({ templateId: t.id, kind: t.kind, key: label(t) }, 'template added');
    return t;
  }

  async update(t: RecordTemplate): Promise<RecordTemplate> {
    const entry = await this.templatesKv.get(t.id);
    const existing = entry && entry.operation === 'PUT' ? entry.json<RecordTemplate>() : null;
    if (!existing || existing.kind !== t.kind) throw new RpcFailure({ code: 'not_found', message: `no ${kindName(t.kind)} template for ${label(t)}` });
    const next = { ...t, createdMs: existing.createdMs };
    try {
      await this.templatesKv.update(t.id, JSON.stringify(next), entry!.revision);
    } catch {
      throw new RpcFailure({ code: 'failed_precondition', message: `the template for ${label(t)} changed meanwhile; read it and try again` });
    }
    this.cache.set(t.id, next);
    this.log.info({ templateId: t.id, key: label(t) }, 'template updated');
    return next;
  }

  async remove(kind: RecordTemplate['kind'], id: string, key: Pick<RecordTemplate, 'domain' | 'app' | 'stream'>): Promise<void> {
    const existing = await this.read(id);
    if (!existing || existing.kind !== kind) throw new RpcFailure({ code: 'not_found', message: `no ${kindName(kind)} template for ${label(key)}` });
    await this.templatesKv.delete(id);
    this.cache.delete(id);
    this.log.info({ templateId: id, key: label(key) }, 'template deleted');
  }

  private async read(id: string): Promise<RecordTemplate | null> {
    const e = await this.templatesKv.get(id);
    return e && e.operation === 'PUT' ? e.json<RecordTemplate>() : null;
  }

  private applied(revision: number): void {
    if (revision <= this.templatesRevision) return;
    this.templatesRevision = revision;
    this.revisionWaiters = this.revisionWaiters.filter((w) => {
      if (w.revision > revision) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Waits until the mirror holds every write the bucket had when this was
   * called, so a listing answered from memory still reads the writes of every
   * matcher replica (read-your-writes), at the cost of one stream-info request.
   */
  private async caughtUp(timeoutMs = 5000): Promise<void> {
    const status = await this.templatesKv.status();
    const target = status.streamInfo.state.last_seq;
    if (target <= this.templatesRevision) return;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<void>((resolve) => this.revisionWaiters.push({ revision: target, resolve }));
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RpcFailure({ code: 'internal', message: `template listing: the matcher's copy of the templates is behind (revision ${this.templatesRevision} of ${target})` })), timeoutMs);
    });
    try {
      await Promise.race([reached, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One page of a kind's templates of a domain (optionally one app and stream),
   * oldest first or last. Answered from the watched copy: sorting thousands of
   * templates in memory takes milliseconds where reading each from the bucket took
   * a round trip per template, and the reply holds one page, never all.
   */
  async page(q: TemplateListQuery & PageQuery): Promise<Page<RecordTemplate>> {
    await this.caughtUp();
    const matching = [...this.cache.values()]
      .filter((t) => t.kind === q.kind && t.domain === q.domain && (!q.app || t.app === q.app) && (!q.stream || t.stream === q.stream))
      .sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
    if (q.order === 'desc') matching.reverse();
    const from = (q.pageNum - 1) * q.pageSize;
    return { items: matching.slice(from, from + q.pageSize), total: matching.length };
  }

  async putNotify(c: NotifyConfig): Promise<void> {
    await this.notifyKv.put(c.domain, JSON.stringify(c));
    this.notifyCache.set(c.domain, c);
  }

  async getNotify(domain: string): Promise<NotifyConfig | null> {
    const e = await this.notifyKv.get(domain);
    return e && e.operation === 'PUT' ? e.json<NotifyConfig>() : null;
  }

  async deleteNotify(domain: string): Promise<void> {
    if (!(await this.getNotify(domain))) throw new RpcFailure({ code: 'not_found', message: `no recording callback configuration for domain ${domain}` });
    await this.notifyKv.delete(domain);
    this.notifyCache.delete(domain);
  }

  async putDecision(d: MatchDecision): Promise<void> {
    await this.decisionsKv.put(streamToken(d.stream), JSON.stringify(d));
  }

  async lastDecision(s: StreamRef): Promise<MatchDecision | null> {
    const e = await this.decisionsKv.get(streamToken(s));
    return e && e.operation === 'PUT' ? e.json<MatchDecision>() : null;
  }

  stop(): void {
    for (const w of this.watchers) w.stop();
    this.watchers = [];
  }
}
