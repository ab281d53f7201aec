// Calls of the console's JSON API (POST /console/api/{Method}): the gRPC methods with
// their request messages as JSON, answered in the proto3 JSON mapping (camelCase,
// default values left out), plus ListLiveStreams.
import { currentKey } from './session';

/** A refused or failed call: the gRPC status name and the server's message, which names the field first. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }

  /** The request field the message is about (`record_format[0].slice_duration: …` → that path), if any. */
  get field(): string | null {
    const m = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): /.exec(this.message);
    return m ? m[1] : null;
  }
}

/** Told when the server refuses the key itself, so the app can ask for another. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function callApi<T>(method: string, request: object = {}, key: string | null = currentKey()): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/console/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(request),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    throw new ApiError('UNAVAILABLE', `the server did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('INTERNAL', `the server answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const e = body as { code?: string; message?: string };
    const err = new ApiError(e.code ?? `HTTP_${res.status}`, e.message ?? `HTTP ${res.status}`);
    if (err.code === 'UNAUTHENTICATED') onUnauthenticated();
    throw err;
  }
  return body as T;
}
