// Snapshot (thumbnail) configurations and a stream's catalogued thumbnails. The api owns
// the configuration bucket (lr_snapshot_configs, watched by the recorders); the index
// answers the thumbnail listing.
import type { KV } from '@nats-io/kv';
import { status } from '@grpc/grpc-js';
import {
  BUCKETS, INDEX_METHODS, SUBJECTS, bucket, call, isWrongRevision,
  type Bus, type SnapshotConfig, type SnapshotInfoQuery, type SnapshotInfoResult,
} from '../../../libs/bus/index.js';
import type * as pb from '../../../libs/proto/index.js';
import { ApiError, invalid, notFound } from './grpc-errors.js';
import { domainField, formatTime, intInRange, orderField, parseTime, streamFields, templateKeyPart } from './request-fields.js';
import { snapshotKey, validateSnapshotConfig, type SnapshotStorageCapabilities } from './snapshot-config.js';

/** Bucket key of a (domain, app): KV keys cannot hold "*", and domains hold dots. */
export function snapshotConfigKey(domain: string, app: string): string {
  return Buffer.from(`${domain}/${app}`, 'utf8').toString('base64url');
}

export function toSnapshotConfig(c: SnapshotConfig): pb.LiveAppSnapshotConfig {
  return {
    domainName: c.domain, appName: c.app, timeInterval: c.intervalSeconds, ossEndpoint: c.storage.endpoint, ossBucket: c.storage.bucket,
    overwriteOssObject: c.overwriteObject, sequenceOssObject: c.sequenceObject, resolution: c.resolution, createTime: formatTime(c.createdMs),
  };
}

const label = (c: { domain: string; app: string }) => `${c.domain}/${c.app}`;

export class SnapshotHandlers {
  private kv!: KV;

  /** signUrl: a thumbnail's URL as answered (signed where playback is signed). */
  constructor(private bus: Bus, private caps: SnapshotStorageCapabilities, private signUrl: (url: string) => string = (u) => u) {}

  async start(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.snapshotConfigs);
  }

  private async read(domain: string, app: string): Promise<{ config: SnapshotConfig; revision: number } | null> {
    const e = await this.kv.get(snapshotConfigKey(domain, app));
    return e && e.operation === 'PUT' ? { config: e.json<SnapshotConfig>(), revision: e.revision } : null;
  }

  async add(req: pb.AddLiveAppSnapshotConfigRequest): Promise<pb.AddLiveAppSnapshotConfigResponse> {
    const config = validateSnapshotConfig(req, this.caps, Date.now());
    try {
      // create(): two adds racing for one (domain, app) cannot both win.
      await this.kv.create(snapshotConfigKey(config.domain, config.app), JSON.stringify(config));
    } catch (err) {
      if (await this.read(config.domain, config.app)) throw new ApiError(status.ALREADY_EXISTS, `a snapshot configuration for ${label(config)} already exists; update it instead`);
      throw err;
    }
    return { config: toSnapshotConfig(config) };
  }

  async update(req: pb.UpdateLiveAppSnapshotConfigRequest): Promise<pb.UpdateLiveAppSnapshotConfigResponse> {
    const next = validateSnapshotConfig(req, this.caps, Date.now());
    const existing = await this.read(next.domain, next.app);
    if (!existing) throw notFound(`no snapshot configuration for ${label(next)}`);
    const config = { ...next, createdMs: existing.config.createdMs };
    try {
      await this.kv.update(snapshotConfigKey(config.domain, config.app), JSON.stringify(config), existing.revision);
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
      throw new ApiError(status.FAILED_PRECONDITION, `the snapshot configuration for ${label(config)} changed meanwhile; read it and try again`);
    }
    return { config: toSnapshotConfig(config) };
  }

  async remove(req: pb.DeleteLiveAppSnapshotConfigRequest): Promise<pb.DeleteLiveAppSnapshotConfigResponse> {
    const key = snapshotKey(req);
    if (!(await this.read(key.domain, key.app))) throw notFound(`no snapshot configuration for ${label(key)}`);
    await this.kv.delete(snapshotConfigKey(key.domain, key.app));
    return {};
  }

  async describe(req: pb.DescribeLiveSnapshotConfigRequest): Promise<pb.DescribeLiveSnapshotConfigResponse> {
    const domain = domainField('domain_name', req.domainName);
    const app = templateKeyPart('app_name', req.appName);
    const pageNum = intInRange('page_num', req.pageNum, 1, 1, 100000);
    const pageSize = intInRange('page_size', req.pageSize, 10, 1, 100);
    const order = orderField(req.order);
    // Configurations are few (one per app at most): the bucket is read whole and paged here.
    const configs: SnapshotConfig[] = [];
    for await (const key of await this.kv.keys()) {
      const e = await this.kv.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const c = e.json<SnapshotConfig>();
      if (c.domain === domain && (!app || c.app === app)) configs.push(c);
    }
    configs.sort((a, b) => a.createdMs - b.createdMs || a.app.localeCompare(b.app));
    if (order === 'desc') configs.reverse();
    const page = configs.slice((pageNum - 1) * pageSize, pageNum * pageSize);
    return { liveStreamSnapshotConfigList: page.map(toSnapshotConfig), totalNum: configs.length, pageNum, pageSize, order, totalPage: Math.ceil(configs.length / pageSize) };
  }

  async info(req: pb.DescribeLiveStreamSnapshotInfoRequest): Promise<pb.DescribeLiveStreamSnapshotInfoResponse> {
    const stream = streamFields(req);
    const startMs = parseTime('start_time', req.startTime);
    const endMs = parseTime('end_time', req.endTime);
    if (endMs <= startMs) throw invalid('end_time', 'must be later than start_time');
    const limit = intInRange('limit', req.limit, 10, 1, 100);
    const order = orderField(req.order);
    const r = await call<SnapshotInfoQuery, SnapshotInfoResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.snapshotInfo), { stream, startMs, endMs, limit, order });
    return {
      liveStreamSnapshotInfoList: r.thumbnails.map((t) => ({
        ossObject: t.objectKey, ossBucket: t.storage.bucket, ossEndpoint: t.storage.endpoint, url: this.signUrl(t.url),
        createTime: formatTime(t.atMs), width: t.width, height: t.height, size: t.size, recordingId: t.recordingId, isOverwrite: t.overwrite,
      })),
      nextStartTime: r.nextStartMs === null ? '' : formatTime(r.nextStartMs),
    };
  }
}
