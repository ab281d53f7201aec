// Transcoding templates over gRPC. services/transcoder owns and validates them;
// this is only the transport.
import { status } from '@grpc/grpc-js';
import { SUBJECTS, TRANSCODER_METHODS, call, isNoResponders, type Bus, type TranscodeTemplate, type TranscodeTemplateListQuery } from '../../../libs/bus/index.js';
import type * as pb from '../../../libs/proto/index.js';
import { ApiError } from './grpc-errors.js';
import { domainField, formatTime, templateKeyPart } from './request-fields.js';

const T = SUBJECTS.transcoderRpc;

export function toTranscodeInfo(t: TranscodeTemplate): pb.LiveStreamTranscodeInfo {
  return {
    domainName: t.domain, appName: t.app, template: t.id, templateType: t.type, width: t.width, height: t.height,
    fps: t.fps, gop: t.gop, videoBitrate: t.videoKbps, audioBitrate: t.audioKbps, audioCodec: 'aac', createTime: formatTime(t.createdMs),
  };
}

/** No transcoder runs: say so rather than the bare "no responders". */
async function toTranscoder<Req, Res>(bus: Bus, subject: string, req: Req): Promise<Res> {
  try {
    return await call<Req, Res>(bus, subject, req);
  } catch (err) {
    if (isNoResponders(err)) throw new ApiError(status.UNAVAILABLE, 'no transcoder service is running (see LR_EMBEDDED_SERVICES)');
    throw err;
  }
}

export class TranscodeHandlers {
  constructor(private readonly bus: Bus) {}

  async add(req: pb.AddCustomLiveStreamTranscodeRequest): Promise<pb.AddCustomLiveStreamTranscodeResponse> {
    const t = await toTranscoder<pb.AddCustomLiveStreamTranscodeRequest, TranscodeTemplate>(this.bus, T(TRANSCODER_METHODS.addTemplate), req);
    return { transcode: toTranscodeInfo(t) };
  }

  async describe(req: pb.DescribeLiveStreamTranscodeInfoRequest): Promise<pb.DescribeLiveStreamTranscodeInfoResponse> {
    const q: TranscodeTemplateListQuery = { domain: domainField('domain_name', req.domainName), app: templateKeyPart('app_name', req.appName) };
    const list = await toTranscoder<TranscodeTemplateListQuery, TranscodeTemplate[]>(this.bus, T(TRANSCODER_METHODS.listTemplates), q);
    return { domainTranscodeList: list.map(toTranscodeInfo) };
  }

  async delete(req: pb.DeleteLiveStreamTranscodeRequest): Promise<pb.DeleteLiveStreamTranscodeResponse> {
    await toTranscoder<pb.DeleteLiveStreamTranscodeRequest, { deleted: true }>(this.bus, T(TRANSCODER_METHODS.deleteTemplate), req);
    return {};
  }
}
