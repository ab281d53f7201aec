// Transcoding templates in KV (lr_transcode_templates), keyed by the token of
// (domain, app, id): domains hold dots and apps may be "*", neither fit a key as is.
import { KvWatchInclude, type KV } from '@nats-io/kv';
import type { Logger } from '../../../libs/telemetry/index.js';
import { BUCKETS, ReopenBackoff, RpcFailure, bucket, isWrongRevision, type Bus, type TranscodeTemplate, type TranscodeTemplateKey, type TranscodeTemplateListQuery } from '../../../libs/bus/index.js';

export function templateStoreKey(k: TranscodeTemplateKey): string {
  return Buffer.from(`${k.domain}/${k.app}/${k.id}`, 'utf8').toString('base64url');
}

export function templateFromStoreKey(key: string): TranscodeTemplateKey | null {
  const [domain, app, id, ...rest] = Buffer.from(key, 'base64url').toString('utf8').split('/');
  return id && rest.length === 0 ? { domain, app, id } : null;
}

export class TranscodeTemplateStore {
  private kv!: KV;

  constructor(private readonly bus: Bus) {}

  async open(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.transcodeTemplates);
  }

  async add(t: TranscodeTemplate): Promise<TranscodeTemplate> {
    try {
      await this.kv.create(templateStoreKey(t), JSON.stringify(t));
    } catch (err) {
      if (isWrongRevision(err)) throw new RpcFailure({ code: 'already_exists', message: `template: transcoding template ${t.id} of ${t.domain}/${t.app} already exists (delete it first to change it)` });
      throw err;
    }
    return t;
  }

  async get(k: TranscodeTemplateKey): Promise<TranscodeTemplate | null> {
    const e = await this.kv.get(templateStoreKey(k));
    return e && e.operation === 'PUT' ? e.json<TranscodeTemplate>() : null;
  }

  /** The template a stream of `app` uses for `id`: the app's own, else the domain's "*" one. */
  async forStream(domain: string, app: string, id: string): Promise<TranscodeTemplate | null> {
    return (await this.get({ domain, app, id })) ?? (app === '*' ? null : this.get({ domain, app: '*', id }));
  }

  async remove(k: TranscodeTemplateKey): Promise<void> {
    if (!(await this.get(k))) throw new RpcFailure({ code: 'not_found', message: `template: no transcoding template ${k.id} for ${k.domain}/${k.app}` });
    await this.kv.delete(templateStoreKey(k));
  }

  /**
   * Follows the deletes of templates (by any transcoder) from now on; a watch that ends or fails
   * is logged and opened again (see TemplateDeleteWatch). Resolves once the first watch is open.
   */
  async watchDeletes(handlers: TemplateDeleteHandlers, log: Logger): Promise<TemplateDeleteWatch> {
    const w = new TemplateDeleteWatch(this.kv, handlers, log);
    await w.start();
    return w;
  }

  async list(q: TranscodeTemplateListQuery): Promise<TranscodeTemplate[]> {
    const out: TranscodeTemplate[] = [];
    for await (const key of await this.kv.keys()) {
      const [domain, app] = Buffer.from(key, 'base64url').toString('utf8').split('/');
      if (domain !== q.domain || (q.app && app !== q.app && app !== '*')) continue;
      const e = await this.kv.get(key);
      if (e && e.operation === 'PUT') out.push(e.json<TranscodeTemplate>());
    }
    return out.sort((a, b) => a.app.localeCompare(b.app) || a.id.localeCompare(b.id));
  }
}

export interface TemplateDeleteHandlers {
  onDelete(k: TranscodeTemplateKey): void;
  /** A watch is open again after one ended: templates deleted meanwhile were not seen, so check them. */
  onReopened(): void;
}

/**
 * The watch of template deletes, kept open: one that ends by itself (its consumer gone, the broker
 * lost) or fails is logged and opened again with backoff (0.5 s doubling to 15 s, like
 * libs/bus/snapshot-configs.ts); stop() ends it for good.
 */
export class TemplateDeleteWatch {
  private watch: { stop(): void } | null = null;
  private stopped = false;
  private readonly reopen = new ReopenBackoff();
  /** Watches opened (the first included): diagnostics and tests. */
  opened = 0;

  constructor(private readonly kv: KV, private readonly handlers: TemplateDeleteHandlers, private readonly log: Logger) {}

  /** Opens the first watch; rejects if it cannot be opened. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  private async open(): Promise<void> {
    const iter = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    this.opened++;
    if (this.stopped) {
      iter.stop();
      return;
    }
    this.watch = iter;
    void (async () => {
      for await (const e of iter) {
        if (e.operation === 'PUT') continue;
        const k = templateFromStoreKey(e.key);
        if (k) this.handlers.onDelete(k);
      }
    })().then(
      () => this.ended(iter, null),
      (err: unknown) => this.ended(iter, err as Error),
    );
  }

  /** A watch ended: by stop() (nothing to do), or by itself (logged, and opened again). */
  private ended(iter: { stop(): void }, err: Error | null): void {
    if (this.stopped || this.watch !== iter) {
      if (err) this.log.warn({ bucket: BUCKETS.transcodeTemplates, err: err.message }, 'template watch failed as it was stopped');
      return;
    }
    this.watch = null;
    this.log.error({ bucket: BUCKETS.transcodeTemplates, err: err ? err.message : 'the watch ended', reopenInMs: this.reopen.nextInMs },
      'template watch ended; templates deleted until it is open again are checked then');
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.reopen.schedule(() => {
      if (this.stopped) return;
      this.open().then(
        () => {
          if (this.stopped) return;
          this.reopen.reset();
          this.log.info({ bucket: BUCKETS.transcodeTemplates, opened: this.opened }, 'template watch open again');
          this.handlers.onReopened();
        },
        (err: unknown) => {
          this.log.error({ bucket: BUCKETS.transcodeTemplates, err: (err as Error).message, reopenInMs: this.reopen.nextInMs }, 'template watch not opened again; retrying');
          if (!this.stopped && !this.watch) this.scheduleReopen();
        },
      );
    });
  }

  stop(): void {
    this.stopped = true;
    this.reopen.cancel();
    this.watch?.stop();
    this.watch = null;
  }
}
