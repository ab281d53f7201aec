import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { RpcFailure } from '../../../libs/bus/index.js';

/** An error a handler means to send: its code and a message that names the field or the object. */
export class ApiError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
  }
}

export const invalid = (field: string, problem: string) => new ApiError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
export const notFound = (message: string) => new ApiError(status.NOT_FOUND, message);
export const precondition = (message: string) => new ApiError(status.FAILED_PRECONDITION, message);

const RPC_CODES: Record<string, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  failed_precondition: status.FAILED_PRECONDITION,
  already_exists: status.ALREADY_EXISTS,
  internal: status.INTERNAL,
};

/** Longest status message sent: it travels in a trailer, and a backend may have quoted a long input. */
const MAX_DETAILS = 1024;

/**
 * A status message that grpc-js can send: it percent-encodes the message with
 * encodeURI, which throws on a lone UTF-16 surrogate (a client can send one
 * inside any string field), so those become U+FFFD; long messages are cut.
 */
export function safeDetails(details: string): string {
  const wellFormed = details.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  if (wellFormed.length <= MAX_DETAILS) return wellFormed;
  // Cut on a code point boundary so the cut does not make a lone surrogate of its own.
  return `${Array.from(wellFormed.slice(0, MAX_DETAILS)).slice(0, -1).join('')}…`;
}

export function toServiceError(err: unknown): Partial<ServiceError> {
  const make = (code: status, details: string) => ({ code, details: safeDetails(details), metadata: new Metadata() });
  if (err instanceof ApiError) return make(err.code, err.message);
  if (err instanceof RpcFailure) return make(RPC_CODES[err.error.code] ?? status.INTERNAL, err.message);
  const e = err as { code?: string; message?: string };
  if (e?.code === 'TIMEOUT' || /timeout/i.test(e?.message ?? '')) return make(status.UNAVAILABLE, 'a backend service did not answer in time');
  return make(status.INTERNAL, e?.message ?? 'internal error');
}
