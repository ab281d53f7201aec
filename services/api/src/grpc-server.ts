import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Counter } from '@opentelemetry/api';
import { extractTrace, inSpan, meter } from '../../../libs/telemetry/index.js';
import { LiveRecordServiceService, PROTO_FILE, PROTO_ROOT } from '../../../libs/proto/index.js';
import { METHOD_NAMES, type MethodName, type RequestOf, type ResponseOf } from '../../../libs/client/index.js';
import { invoke, methodOperation, type CallDeps, type MethodTable } from './method-calls.js';

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

export interface GrpcDeps extends CallDeps {
  /** Every method's handler (shared with the console's JSON bridge). */
  methods: MethodTable;
  /** PEM certificate and key: the server speaks TLS. */
  tls?: { cert: Buffer; key: Buffer };
}

/**
 * Adapts a method to grpc-js: trace context from metadata, then the shared call path
 * (key, scope, sizes, handler, error mapping, audit: method-calls.ts). Nothing
 * thrown here reaches grpc-js or the process: a failure to answer is logged.
 */
function unary<M extends MethodName>(method: M, deps: GrpcDeps): grpc.handleUnaryCall<RequestOf<M>, ResponseOf<M>> {
  const op = methodOperation(method, deps.methods);
  const { log } = deps;
  return (call, callback) => {
    inSpan('api', op.name, extractTrace(metadataCarrier(call.metadata)), async () => {
      const outcome = await invoke(op, deps, call.metadata, call.request);
      if (outcome.ok) callback(null, outcome.value);
      else callback(outcome.error, null);
    }).catch((err: unknown) => {
      (answerFailures ??= meter('api').createCounter('liverecord_grpc_answer_failures_total', { description: 'gRPC calls the api could not answer (the client sees its deadline pass)' })).add(1, { method: op.name });
      log.error({ method: op.name, err: (err as Error).message }, 'could not answer the request');
    });
  };
}

export async function startGrpcServer(bind: string, port: number, deps: GrpcDeps): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  // Every method of the generated service definition, each from the shared table.
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of METHOD_NAMES) impl[method] = unary(method, deps) as grpc.UntypedHandleCall;
  server.addService(LiveRecordServiceService, impl);
  const definition = protoLoader.loadSync(PROTO_FILE, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definition).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) => {
    const credentials = deps.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: deps.tls.cert, private_key: deps.tls.key }], false) : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${bind}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return { server, port: bound };
}
