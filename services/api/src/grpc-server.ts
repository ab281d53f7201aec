import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Counter } from '@opentelemetry/api';
import { extractTrace, inSpan, meter, type Logger } from '../../../libs/telemetry/index.js';
import { LiveRecordServiceService, PROTO_FILE, PROTO_ROOT, type LiveRecordServiceServer } from '../../../libs/proto/index.js';
import { toServiceError } from './grpc-errors.js';
import { checkSizes } from './request-fields.js';
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

let answerFailures: Counter | null = null;

/**
 * Adapts an async handler to grpc-js: trace context from metadata, sizes
 * bounded before the handler reads anything, errors to status codes. Nothing
 * thrown here reaches grpc-js or the process: a failure to answer is logged.
 */
function unary<Req, Res>(name: string, log: Logger, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    inSpan('api', name, extractTrace(metadataCarrier(call.metadata)), async () => {
      let result: Res;
      try {
        checkSizes(call.request);
        result = await fn(call.request);
      } catch (err) {
        const se = toServiceError(err);
        if (se.code === grpc.status.INTERNAL || se.code === grpc.status.UNAVAILABLE) log.error({ method: name, err: se.details }, 'request failed');
        else log.info({ method: name, code: grpc.status[se.code!], details: se.details }, 'request refused');
        callback(se as grpc.ServiceError, null);
        return;
      }
      callback(null, result);
    }).catch((err: unknown) => {
      (answerFailures ??= meter('api').createCounter('liverecord_grpc_answer_failures_total', { description: 'gRPC calls the api could not answer (the client sees its deadline pass)' })).add(1, { method: name });
      log.error({ method: name, err: (err as Error).message }, 'could not answer the request');
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
