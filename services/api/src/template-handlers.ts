import {
  MATCHER_METHODS, SUBJECTS, call, isNoResponders, request, streamToken,
  type ActorMessage, type ActorReply, type Bus, type MatchDecision, type NotifyConfig, type RecordTemplate,
  type Page, type PageQuery, type StreamRef, type TemplateFormat, type TemplateKeyQuery, type TemplateListQuery,
} from '../../../libs/bus/index.js';
import type * as pb from '../../../libs/proto/index.js';
import { notFound } from './grpc-errors.js';
import { domainField, formatTime, intInRange, orderField, streamFields, templateKeyField, templateKeyPart } from './request-fields.js';

// services/matcher owns templates; this is only the transport.
const M = SUBJECTS.matcherRpc;

function recordFormat(f: TemplateFormat): pb.RecordFormat {
  const segmented = f.format === 'm3u8' || f.format === 'cmaf';
  return { format: f.format, ossObjectPrefix: f.filePattern, sliceOssObjectPrefix: segmented ? f.segmentPattern : '', cycleDuration: f.cycleSeconds, sliceDuration: segmented ? f.sliceSeconds : 0 };
}

export function toLiveAppRecord(t: RecordTemplate): pb.LiveAppRecord {
  return {
    configId: t.id, domainName: t.domain, appName: t.app, streamName: t.stream,
    ossEndpoint: t.storage.endpoint, ossBucket: t.storage.bucket, onDemand: t.trigger, delayTime: t.delaySeconds,
    recordFormat: t.formats.map(recordFormat), transcodeRecordFormat: t.transcodeFormats.map(recordFormat),
    transcodeTemplates: t.transcodeTemplates, createTime: formatTime(t.createdMs),
  };
}

export function toVodConfig(t: RecordTemplate): pb.LiveRecordVodConfig {
  const formats = t.formats.length ? t.formats : t.transcodeFormats;
  return {
    configId: t.id, domainName: t.domain, appName: t.app, streamName: t.stream,
    spaceId: t.vod?.spaceId ?? '', storageLocation: t.vod?.storageLocation ?? '',
    cycleDuration: formats[0]?.cycleSeconds ?? 0, delayTime: t.delaySeconds, onDemand: t.trigger,
    recordContent: t.recordContent, transcodeTemplates: t.transcodeTemplates,
    recordFormat: (t.vod?.formats ?? []).map((v) => ({
      format: v.format, sliceDuration: v.format === 'm3u8' ? formats.find((f) => f.format === v.format)?.sliceSeconds ?? 0 : 0,
      autoCompose: v.autoCompose, videoProcess: v.videoProcess, processMethod: v.processMethod,
      processTemplateId: v.processTemplateId, category: v.category, tags: v.tags,
    })),
    createTime: formatTime(t.createdMs),
  };
}

function keyQuery(kind: 'oss' | 'vod', req: { domainName?: string; appName?: string; streamName?: string }): TemplateKeyQuery {
  return { kind, domain: domainField('domain_name', req.domainName), app: templateKeyField('app_name', req.appName), stream: templateKeyField('stream_name', req.streamName) };
}

export class TemplateHandlers {
  constructor(private bus: Bus) {}

  async addOss(req: pb.AddLiveAppRecordConfigRequest): Promise<pb.AddLiveAppRecordConfigResponse> {
    return { config: toLiveAppRecord(await call<pb.AddLiveAppRecordConfigRequest, RecordTemplate>(this.bus, M(MATCHER_METHODS.addTemplate), req)) };
  }

  async updateOss(req: pb.UpdateLiveAppRecordConfigRequest): Promise<pb.UpdateLiveAppRecordConfigResponse> {
    return { config: toLiveAppRecord(await call<pb.UpdateLiveAppRecordConfigRequest, RecordTemplate>(this.bus, M(MATCHER_METHODS.updateTemplate), req)) };
  }

  async deleteOss(req: pb.DeleteLiveAppRecordConfigRequest): Promise<pb.DeleteLiveAppRecordConfigResponse> {
    await call(this.bus, M(MATCHER_METHODS.deleteTemplate), keyQuery('oss', req));
    return {};
  }

  /** One page of a kind's templates of a domain, optionally narrowed to an app and a stream; the matcher pages. */
  private async listPage(kind: 'oss' | 'vod', req: { domainName?: string; appName?: string; streamName?: string; pageNum?: number; pageSize?: number }, order: 'asc' | 'desc') {
    const q: TemplateListQuery & PageQuery = {
      kind, domain: domainField('domain_name', req.domainName), app: templateKeyPart('app_name', req.appName), stream: templateKeyPart('stream_name', req.streamName),
      pageNum: intInRange('page_num', req.pageNum, 1, 1, 100000),
      pageSize: intInRange('page_size', req.pageSize, 10, 1, 100),
      order,
    };
    const page = await call<TemplateListQuery & PageQuery, Page<RecordTemplate>>(this.bus, M(MATCHER_METHODS.listTemplates), q);
    return { ...page, pageNum: q.pageNum, pageSize: q.pageSize };
  }

  async describeOss(req: pb.DescribeLiveRecordConfigRequest): Promise<pb.DescribeLiveRecordConfigResponse> {
    const order = orderField(req.order);
    const { items, total, pageNum, pageSize } = await this.listPage('oss', req, order);
    return { liveAppRecordList: items.map(toLiveAppRecord), totalNum: total, pageNum, pageSize, order, totalPage: Math.ceil(total / pageSize) };
  }

  async addVod(req: pb.AddLiveRecordVodConfigRequest): Promise<pb.AddLiveRecordVodConfigResponse> {
    return { config: toVodConfig(await call<pb.AddLiveRecordVodConfigRequest, RecordTemplate>(this.bus, M(MATCHER_METHODS.addVodTemplate), req)) };
  }

  async deleteVod(req: pb.DeleteLiveRecordVodConfigRequest): Promise<pb.DeleteLiveRecordVodConfigResponse> {
    await call(this.bus, M(MATCHER_METHODS.deleteTemplate), keyQuery('vod', req));
    return {};
  }

  async describeVod(req: pb.DescribeLiveRecordVodConfigsRequest): Promise<pb.DescribeLiveRecordVodConfigsResponse> {
    const { items, total, pageNum, pageSize } = await this.listPage('vod', req, 'asc');
    return { liveRecordVodConfigs: items.map(toVodConfig), totalNum: total, pageNum, pageSize };
  }

  async addNotify(req: pb.AddLiveRecordNotifyConfigRequest): Promise<pb.AddLiveRecordNotifyConfigResponse> {
    await call<pb.AddLiveRecordNotifyConfigRequest, NotifyConfig>(this.bus, M(MATCHER_METHODS.putNotify), req);
    return {};
  }

  async describeNotify(req: pb.DescribeLiveRecordNotifyConfigRequest): Promise<pb.DescribeLiveRecordNotifyConfigResponse> {
    const c = await call<{ domain: string }, NotifyConfig>(this.bus, M(MATCHER_METHODS.getNotify), { domain: domainField('domain_name', req.domainName) });
    return { liveRecordNotifyConfig: { domainName: c.domain, notifyUrl: c.notifyUrl, onDemandUrl: c.onDemandUrl, needStatusNotify: c.needStatusNotify, authKeySet: !!c.authKey } };
  }

  async deleteNotify(req: pb.DeleteLiveRecordNotifyConfigRequest): Promise<pb.DeleteLiveRecordNotifyConfigResponse> {
    await call(this.bus, M(MATCHER_METHODS.deleteNotify), { domain: domainField('domain_name', req.domainName) });
    return {};
  }

  async status(req: pb.DescribeLiveStreamRecordStatusRequest): Promise<pb.DescribeLiveStreamRecordStatusResponse> {
    const stream: StreamRef = streamFields(req);
    const decision = await call<StreamRef, MatchDecision | null>(this.bus, M(MATCHER_METHODS.lastDecision), stream);
    let actor: ActorReply | null = null;
    try {
      actor = await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(streamToken(stream)), { type: 'status' }, 5000);
    } catch (err) {
      if (!isNoResponders(err)) throw err;
    }
    if (!decision && !actor) throw notFound(`stream ${stream.domain}/${stream.app}/${stream.stream} has never published`);
    return {
      hasActor: !!actor?.ok,
      state: actor?.ok ? actor.phase : '',
      recordingId: actor?.ok ? actor.recordingId : '',
      lastDecision: decision ? {
        record: decision.record, reason: decision.reason, detail: decision.detail, configId: decision.templateId ?? '',
        onDemand: decision.trigger ?? 0, sessionId: decision.sessionId, decideTime: formatTime(decision.at),
        formats: (decision.plan?.formats ?? []).map((f) => ({ format: f.format, cycleDuration: f.cycleSeconds })),
      } : undefined,
    };
  }
}
