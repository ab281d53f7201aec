// Transcoding templates in KV (lr_transcode_templates), keyed by the token of
// (domain, app, id): domains hold dots and apps may be "*", neither fit a key as is.
import { KvWatchInclude, type KV } from '@nats-io/kv';
import { BUCKETS, RpcFailure, bucket, isWrongRevision, type Bus, type TranscodeTemplate, type TranscodeTemplateKey, type TranscodeTemplateListQuery } from '../../../libs/bus/index.js';

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

  /** Calls `onDelete` for each template deleted from now on (by any transcoder); `done` settles when the watch ends. */
  async watchDeletes(onDelete: (k: TranscodeTemplateKey) => void): Promise<{ stop(): void; done: Promise<void> }> {
    const watcher = await this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    const done = (async () => {
      for await (const e of watcher) {
        if (e.operation === 'PUT') continue;
        const k = templateFromStoreKey(e.key);
        if (k) onDelete(k);
      }
    })();
    return { stop: () => watcher.stop(), done };
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
