// The media library's catalogue operations as a typed client: each op is a
// request to the index (lr.rpc.index.library_{op}); a refusal arrives as RpcFailure.
import { LIBRARY_OPS, type LibraryOp, type LibraryOps } from './library-payloads.js';
import type { Bus } from './connection.js';
import { call } from './rpc.js';
import { SUBJECTS } from './subjects.js';

/** Deleting assets removes objects from storage: it may take longer than a query. */
const SLOW_OPS: ReadonlySet<LibraryOp> = new Set(['deleteAssets']);

export function libraryClient(bus: Bus, timeoutMs = 10000): LibraryOps {
  const entries = LIBRARY_OPS.map((op) => [op, (q: unknown) => call(bus, SUBJECTS.libraryOp(op), q ?? {}, SLOW_OPS.has(op) ? timeoutMs * 6 : timeoutMs)]);
  return Object.fromEntries(entries) as unknown as LibraryOps;
}
