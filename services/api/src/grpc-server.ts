import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Counter } from '@opentelemetry/api';
import { extractTrace, inSpan, meter, type Logger } from '../../../libs/telemetry/index.js';
import { LiveRecordServiceService, PROTO_FILE, PROTO_ROOT, type LiveRecordServiceServer } from '../../../libs/proto/index.js';
import { toServiceError } from './grpc-errors.js';
import { checkSizes } from './request-fields.js';
import type { Bus } from '../../../libs/bus/index.js';
import { rpcName, type MethodName, type RequestOf, type ResponseOf } from '../../../libs/client/index.js';
import type { ApiKeyRecord, ApiKeyStore } from './auth/api-key-store.js';
import { audit } from './auth/audit.js';
import { identify, requireScope } from './auth/authenticate.js';
import { METHOD_SCOPES, isMutating } from './auth/scopes.js';
import type { SecurityHandlers } from './auth/security-handlers.js';
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

export interface GrpcDeps {
  handlers: RecordHandlers;
  templates: TemplateHandlers;
  security: SecurityHandlers;
  keys: ApiKeyStore;
  bus: Bus;
  log: Logger;
  /** PEM certificate and key: the server speaks TLS. */
  tls?: { cert: Buffer; key: Buffer };
}

/**
 * Adapts an async handler to grpc-js: trace context from metadata, the caller's
 * API key and its scope checked before anything reads the request, sizes bounded,
 * errors to status codes, mutating calls audited with the key's id. Nothing
 * thrown here reaches grpc-js or the process: a failure to answer is logged.
 */
function unary<M extends MethodName>(method: M, deps: GrpcDeps, fn: (req: RequestOf<M>, caller: ApiKeyRecord) => Promise<ResponseOf<M>>): grpc.handleUnaryCall<RequestOf<M>, ResponseOf<M>> {
  const name = rpcName(method);
  const { log } = deps;
  return (call, callback) => {
    inSpan('api', name, extractTrace(metadataCarrier(call.metadata)), async () => {
      let result: ResponseOf<M>;
      let caller: ApiKeyRecord | null = null;
      try {
        caller = await identify(deps.keys, call.metadata);
        requireScope(caller, METHOD_SCOPES[method]);
        checkSizes(call.request);
        result = await fn(call.request, caller);
      } catch (err) {
        const se = toServiceError(err);
        if (se.code === grpc.status.INTERNAL || se.code === grpc.status.UNAVAILABLE) log.error({ method: name, keyId: caller?.id, err: se.details }, 'request failed');
        else log.info({ method: name, keyId: caller?.id, code: grpc.status[se.code!], details: se.details }, 'request refused');
        if (isMutating(method)) audit(deps.bus, log, { method: name, keyId: caller?.id ?? '', outcome: grpc.status[se.code!], at: Date.now() });
        callback(se as grpc.ServiceError, null);
        return;
      }
      if (isMutating(method)) audit(deps.bus, log, { method: name, keyId: caller.id, outcome: 'OK', at: Date.now() });
      callback(null, result);
    }).catch((err: unknown) => {
      (answerFailures ??= meter('api').createCounter('liverecord_grpc_answer_failures_total', { description: 'gRPC calls the api could not answer (the client sees its deadline pass)' })).add(1, { method: name });
      log.error({ method: name, err: (err as Error).message }, 'could not answer the request');
    });
  };
}

export async function startGrpcServer(bind: string, port: number, deps: GrpcDeps): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const { handlers, templates, security } = deps;
  const impl: LiveRecordServiceServer = {
    describeLiveStreamRecordIndexFiles: unary('describeLiveStreamRecordIndexFiles', deps, (r) => handlers.describeFiles(r)),
    describeLiveStreamRecordIndexFile: unary('describeLiveStreamRecordIndexFile', deps, (r) => handlers.describeFile(r)),
    realTimeRecordCommand: unary('realTimeRecordCommand', deps, (r) => handlers.command(r)),
    createLiveStreamRecordIndexFiles: unary('createLiveStreamRecordIndexFiles', deps, (r) => handlers.createIndexFile(r)),
    deleteLiveStreamRecordIndexFiles: unary('deleteLiveStreamRecordIndexFiles', deps, (r) => handlers.deleteRecords(r)),
    describeLiveStreamRecordContent: unary('describeLiveStreamRecordContent', deps, (r) => handlers.content(r)),
    describeLiveStreamRecordStatus: unary('describeLiveStreamRecordStatus', deps, (r) => templates.status(r)),
    addLiveAppRecordConfig: unary('addLiveAppRecordConfig', deps, (r) => templates.addOss(r)),
    updateLiveAppRecordConfig: unary('updateLiveAppRecordConfig', deps, (r) => templates.updateOss(r)),
    deleteLiveAppRecordConfig: unary('deleteLiveAppRecordConfig', deps, (r) => templates.deleteOss(r)),
    describeLiveRecordConfig: unary('describeLiveRecordConfig', deps, (r) => templates.describeOss(r)),
    addLiveRecordVodConfig: unary('addLiveRecordVodConfig', deps, (r) => templates.addVod(r)),
    deleteLiveRecordVodConfig: unary('deleteLiveRecordVodConfig', deps, (r) => templates.deleteVod(r)),
    describeLiveRecordVodConfigs: unary('describeLiveRecordVodConfigs', deps, (r) => templates.describeVod(r)),
    addLiveRecordNotifyConfig: unary('addLiveRecordNotifyConfig', deps, (r) => templates.addNotify(r)),
    describeLiveRecordNotifyConfig: unary('describeLiveRecordNotifyConfig', deps, (r) => templates.describeNotify(r)),
    deleteLiveRecordNotifyConfig: unary('deleteLiveRecordNotifyConfig', deps, (r) => templates.deleteNotify(r)),
    createApiKey: unary('createApiKey', deps, (r, caller) => security.createKey(r, caller)),
    listApiKeys: unary('listApiKeys', deps, () => security.listKeys()),
    revokeApiKey: unary('revokeApiKey', deps, (r) => security.revokeKey(r)),
    setPublishAuthKeys: unary('setPublishAuthKeys', deps, (r) => security.setPublishKeys(r)),
    describePublishAuth: unary('describePublishAuth', deps, (r) => security.describePublishAuth(r)),
  };
  server.addService(LiveRecordServiceService, impl);
  const definition = protoLoader.loadSync(PROTO_FILE, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definition).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) => {
    const credentials = deps.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: deps.tls.cert, private_key: deps.tls.key }], false) : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${bind}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return { server, port: bound };
}
