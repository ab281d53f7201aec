import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { extractTrace, inSpan, type Logger } from '../../../libs/telemetry/index.js';
import { LiveRecordServiceService, PROTO_FILE, PROTO_ROOT, type LiveRecordServiceServer } from '../../../libs/proto/index.js';
import { toServiceError } from './grpc-errors.js';
import type { RecordHandlers } from './record-handlers.js';
import type { TemplateHandlers } from './template-handlers.js';

function metadataCarrier(md: grpc.Metadata) {
  return {
    get: (k: string) => {
      const v = md.get(k)[0];
      return v === undefined ? undefined : String(v);
    },
    set: (k: string, v: string) => md.set(k, v),
  };
}

/** Adapts an async handler to grpc-js: trace context from metadata, errors to status codes. */
function unary<Req, Res>(name: string, log: Logger, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    void inSpan('api', name, extractTrace(metadataCarrier(call.metadata)), async () => {
      try {
        callback(null, await fn(call.request));
      } catch (err) {
        const se = toServiceError(err);
        if (se.code === grpc.status.INTERNAL || se.code === grpc.status.UNAVAILABLE) log.error({ method: name, err: se.details }, 'request failed');
        else log.info({ method: name, code: grpc.status[se.code!], details: se.details }, 'request refused');
        callback(se as grpc.ServiceError, null);
      }
    });
  };
}

export async function startGrpcServer(bind: string, port: number, handlers: RecordHandlers, templates: TemplateHandlers, log: Logger): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const impl: LiveRecordServiceServer = {
    describeLiveStreamRecordIndexFiles: unary('DescribeLiveStreamRecordIndexFiles', log, (r) => handlers.describeFiles(r)),
    describeLiveStreamRecordIndexFile: unary('DescribeLiveStreamRecordIndexFile', log, (r) => handlers.describeFile(r)),
    realTimeRecordCommand: unary('RealTimeRecordCommand', log, (r) => handlers.command(r)),
    createLiveStreamRecordIndexFiles: unary('CreateLiveStreamRecordIndexFiles', log, (r) => handlers.createIndexFile(r)),
    deleteLiveStreamRecordIndexFiles: unary('DeleteLiveStreamRecordIndexFiles', log, (r) => handlers.deleteRecords(r)),
    describeLiveStreamRecordContent: unary('DescribeLiveStreamRecordContent', log, (r) => handlers.content(r)),
    describeLiveStreamRecordStatus: unary('DescribeLiveStreamRecordStatus', log, (r) => templates.status(r)),
    addLiveAppRecordConfig: unary('AddLiveAppRecordConfig', log, (r) => templates.addOss(r)),
    updateLiveAppRecordConfig: unary('UpdateLiveAppRecordConfig', log, (r) => templates.updateOss(r)),
    deleteLiveAppRecordConfig: unary('DeleteLiveAppRecordConfig', log, (r) => templates.deleteOss(r)),
    describeLiveRecordConfig: unary('DescribeLiveRecordConfig', log, (r) => templates.describeOss(r)),
    addLiveRecordVodConfig: unary('AddLiveRecordVodConfig', log, (r) => templates.addVod(r)),
    deleteLiveRecordVodConfig: unary('DeleteLiveRecordVodConfig', log, (r) => templates.deleteVod(r)),
    describeLiveRecordVodConfigs: unary('DescribeLiveRecordVodConfigs', log, (r) => templates.describeVod(r)),
    addLiveRecordNotifyConfig: unary('AddLiveRecordNotifyConfig', log, (r) => templates.addNotify(r)),
    describeLiveRecordNotifyConfig: unary('DescribeLiveRecordNotifyConfig', log, (r) => templates.describeNotify(r)),
    deleteLiveRecordNotifyConfig: unary('DeleteLiveRecordNotifyConfig', log, (r) => templates.deleteNotify(r)),
  };
  server.addService(LiveRecordServiceService, impl);
  const definition = protoLoader.loadSync(PROTO_FILE, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definition).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bind}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return { server, port: bound };
}
