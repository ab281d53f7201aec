// The methods of LiveRecordService and their message codecs, read from the generated
// service definition so that a method added to the proto needs no change here.
import * as proto from '../proto/index.js';
import { LiveRecordServiceService, type MessageFns } from '../proto/index.js';

type Service = typeof LiveRecordServiceService;

/** camelCase method name as in the generated client (`describeLiveRecordConfig`). */
export type MethodName = keyof Service;
export type RequestOf<M extends MethodName> = Parameters<Service[M]['requestSerialize']>[0];
export type ResponseOf<M extends MethodName> = ReturnType<Service[M]['responseDeserialize']>;

/** Every method of the service, in the proto's order. */
export const METHOD_NAMES = Object.keys(LiveRecordServiceService) as MethodName[];

/** The proto's name of a method (`DescribeLiveRecordConfig`), taken from its path. */
export function rpcName(method: MethodName): string {
  const path = LiveRecordServiceService[method].path;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Full gRPC path (`/liverecord.v1.LiveRecordService/DescribeLiveRecordConfig`). */
export function rpcPath(method: MethodName): string {
  return LiveRecordServiceService[method].path;
}

// ts-proto names the codec of a message after the message, and the proto (buf lint's
// RPC_REQUEST_STANDARD_NAME) names a method's messages {Method}Request / {Method}Response.
function codec<T>(name: string): MessageFns<T> {
  const found = (proto as unknown as Record<string, unknown>)[name] as Partial<MessageFns<T>> | undefined;
  if (!found || typeof found.fromPartial !== 'function' || typeof found.fromJSON !== 'function') {
    throw new Error(`the generated code has no message codec ${name}`);
  }
  return found as MessageFns<T>;
}

export function requestCodec<M extends MethodName>(method: M): MessageFns<RequestOf<M>> {
  return codec<RequestOf<M>>(`${rpcName(method)}Request`);
}

export function responseCodec<M extends MethodName>(method: M): MessageFns<ResponseOf<M>> {
  return codec<ResponseOf<M>>(`${rpcName(method)}Response`);
}
