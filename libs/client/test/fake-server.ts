// A LiveRecordService that records what it was sent and answers each method with its
// default response (or a chosen error): for testing clients without the whole system.
import * as grpc from '@grpc/grpc-js';
import { LiveRecordServiceService } from '../../proto/index.js';
import { METHOD_NAMES, responseCodec, type MethodName } from '../service-methods.js';

export interface ReceivedCall {
  method: MethodName;
  request: unknown;
  metadata: grpc.Metadata;
}

export interface FakeServer {
  address: string;
  calls: ReceivedCall[];
  /** Answer this method with an error instead of its default response. */
  failWith(method: MethodName, code: grpc.status, details: string): void;
  stop(): Promise<void>;
}

export async function startFakeServer(): Promise<FakeServer> {
  const calls: ReceivedCall[] = [];
  const failures = new Map<MethodName, { code: grpc.status; details: string }>();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of METHOD_NAMES) {
    impl[method] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls.push({ method, request: call.request, metadata: call.metadata });
      const failure = failures.get(method);
      if (failure) callback({ code: failure.code, details: failure.details, metadata: new grpc.Metadata() });
      else callback(null, responseCodec(method).fromPartial({}));
    }) as grpc.handleUnaryCall<unknown, unknown>;
  }
  const server = new grpc.Server();
  server.addService(LiveRecordServiceService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    failWith: (method, code, details) => failures.set(method, { code, details }),
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
