// The fields of a method's request and response messages, from the generated codecs.
import { requestCodec, responseCodec, type MethodName } from '../libs/client/index.js';
import { messageSchema, type FieldSpec } from './message-schema.js';

export function requestFields(method: MethodName): FieldSpec[] {
  const codec = requestCodec(method);
  return messageSchema((o) => codec.fromJSON(o));
}

export function responseFields(method: MethodName): FieldSpec[] {
  const codec = responseCodec(method);
  return messageSchema((o) => codec.fromJSON(o));
}
