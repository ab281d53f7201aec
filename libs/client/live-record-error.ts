// A failed call as one error type: the gRPC status (code and its name) and the
// server's message, which names the offending field or object.
import { status, type ServiceError } from '@grpc/grpc-js';

export class LiveRecordError extends Error {
  /** e.g. INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE. */
  readonly codeName: string;

  constructor(
    readonly code: status,
    readonly details: string,
    /** The proto's method name. */
    readonly method: string,
    options?: { cause?: unknown },
  ) {
    const codeName = status[code] ?? `STATUS_${code}`;
    super(`${codeName}: ${details}`, options);
    this.name = 'LiveRecordError';
    this.codeName = codeName;
  }

  static fromServiceError(method: string, err: ServiceError): LiveRecordError {
    return new LiveRecordError(err.code, err.details || err.message, method, { cause: err });
  }
}
