// The typed client of LiveRecordService: the generated grpc-js client, wrapped so
// that every method returns a promise, takes a partial request (defaults filled in
// by the generated codec), carries the API key and has a deadline.
import * as grpc from '@grpc/grpc-js';
import { LiveRecordServiceClient, type DeepPartial } from '../proto/index.js';
import { LiveRecordError } from './live-record-error.js';
import { METHOD_NAMES, requestCodec, rpcName, type MethodName, type RequestOf, type ResponseOf } from './service-methods.js';

export interface LiveRecordClientOptions {
  /** host:port of the gRPC API, e.g. 127.0.0.1:50051. */
  address: string;
  /** Sent as `authorization: Bearer <key>` on every call. */
  apiKey?: string;
  /** Default: plaintext (the API listens without TLS; put a TLS proxy in front for remote use). */
  credentials?: grpc.ChannelCredentials;
  /** Deadline of each call unless the call gives its own; default 30 s. */
  timeoutMs?: number;
  channelOptions?: Partial<grpc.ClientOptions>;
}

export interface LiveRecordCallOptions {
  timeoutMs?: number;
  /** Extra metadata, e.g. a W3C `traceparent`. */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

/** One promise-returning function per method of the service. */
export type LiveRecordApi = {
  [M in MethodName]: (request?: DeepPartial<RequestOf<M>>, options?: LiveRecordCallOptions) => Promise<ResponseOf<M>>;
};

export interface LiveRecordClient extends LiveRecordApi {
  readonly address: string;
  /** Calls a method chosen at run time (the CLI dispatches this way). */
  call<M extends MethodName>(method: M, request?: DeepPartial<RequestOf<M>>, options?: LiveRecordCallOptions): Promise<ResponseOf<M>>;
  close(): void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Pages of up to 3000 records exceed grpc-js's 4 MiB default. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

type UnaryFn = (
  request: unknown,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

export function createLiveRecordClient(options: LiveRecordClientOptions): LiveRecordClient {
  const raw = new LiveRecordServiceClient(options.address, options.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    ...options.channelOptions,
  });
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const call = <M extends MethodName>(method: M, request?: DeepPartial<RequestOf<M>>, callOptions: LiveRecordCallOptions = {}): Promise<ResponseOf<M>> => {
    // The generated encoder expects every field present; fromPartial fills the defaults.
    const message = requestCodec(method).fromPartial((request ?? {}) as never);
    const metadata = new grpc.Metadata();
    if (options.apiKey) metadata.set('authorization', `Bearer ${options.apiKey}`);
    for (const [k, v] of Object.entries(callOptions.metadata ?? {})) metadata.set(k, v);
    const deadline = Date.now() + (callOptions.timeoutMs ?? defaultTimeout);
    const fn = (raw as unknown as Record<MethodName, UnaryFn>)[method];
    return new Promise((resolve, reject) => {
      const pending = fn.call(raw, message, metadata, { deadline }, (err, response) => {
        if (err) reject(LiveRecordError.fromServiceError(rpcName(method), err));
        else resolve(response as ResponseOf<M>);
      });
      callOptions.signal?.addEventListener('abort', () => pending.cancel(), { once: true });
    });
  };

  const api = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, (request?: DeepPartial<RequestOf<typeof m>>, o?: LiveRecordCallOptions) => call(m, request, o)]),
  ) as LiveRecordApi;
  return { ...api, address: options.address, call, close: () => raw.close() };
}
