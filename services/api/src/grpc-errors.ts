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

export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof ApiError) return { code: err.code, details: err.message, metadata: new Metadata() };
  if (err instanceof RpcFailure) return { code: RPC_CODES[err.error.code] ?? status.INTERNAL, details: err.message, metadata: new Metadata() };
  const e = err as { code?: string; message?: string };
  if (e?.code === 'TIMEOUT' || /timeout/i.test(e?.message ?? '')) return { code: status.UNAVAILABLE, details: 'a backend service did not answer in time', metadata: new Metadata() };
  return { code: status.INTERNAL, details: e?.message ?? 'internal error', metadata: new Metadata() };
}
