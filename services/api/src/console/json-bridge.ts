// The console's API: `POST /console/api/{RpcName}` with `Authorization: Bearer <key>`
// and the request message as JSON, answered with the response message as JSON (proto3
// JSON mapping, camelCase names). A browser cannot speak gRPC; this speaks for it
// through the gRPC server's own call path (method-calls.ts): the same handlers, key
// and scope checks, validation, error messages and audit. An error is
// `{"code":"INVALID_ARGUMENT","message":"start_time: …"}` with a matching HTTP status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { extractTrace, inSpan, type HeaderCarrier } from '../../../../libs/telemetry/index.js';
import { METHOD_NAMES, requestCodec, responseCodec, rpcName } from '../../../../libs/client/index.js';
import { invoke, methodOperation, type CallDeps, type MethodTable, type Operation } from '../method-calls.js';
import { safeDetails } from '../grpc-errors.js';
import { requestFromJson } from './request-json.js';

/** Largest request body: the biggest real request (1000 record ids) is far below it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One operation the bridge answers: how its JSON body becomes a request, and its answer JSON. */
export interface BridgeRoute {
  op: Operation<unknown, unknown>;
  parse(body: unknown): unknown;
  toJson(response: unknown): unknown;
}

/** The HTTP status of each gRPC code (as grpc-gateway maps them). */
const HTTP_STATUS: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.FAILED_PRECONDITION]: 400,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.ABORTED]: 409,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** Every gRPC method by its proto name, plus the console's own reads. */
export function bridgeRoutes(methods: MethodTable, extra: Record<string, BridgeRoute> = {}): Map<string, BridgeRoute> {
  const routes = new Map<string, BridgeRoute>();
  for (const method of METHOD_NAMES) {
    const codec = requestCodec(method);
    const answer = responseCodec(method);
    routes.set(rpcName(method), {
      op: methodOperation(method, methods) as Operation<unknown, unknown>,
      parse: (body) => requestFromJson(codec, body),
      toJson: (res) => answer.toJSON(res as never),
    });
  }
  for (const [name, route] of Object.entries(extra)) routes.set(name, route);
  return routes;
}

/** An error answer; `http` overrides the status the code maps to (405, 413, 415 say more than 400 there). */
function sendError(res: ServerResponse, code: grpc.status, message: string, opts: { http?: number; headers?: Record<string, string> } = {}): void {
  res.writeHead(opts.http ?? HTTP_STATUS[code] ?? 500, { ...JSON_HEADERS, ...opts.headers }).end(JSON.stringify({ code: grpc.status[code], message: safeDetails(message) }));
}

type Body = { ok: true; text: string } | { ok: false; tooLarge: boolean; reason: string };

/** The body as text, refused beyond MAX_BODY_BYTES without reading the rest. */
function readBody(req: IncomingMessage): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.resolve({ ok: false, tooLarge: true, reason: `request body over ${MAX_BODY_BYTES} bytes` });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (b: Body) => {
      if (done) return;
      done = true;
      resolve(b);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        finish({ ok: false, tooLarge: true, reason: `request body over ${MAX_BODY_BYTES} bytes` });
        // Stop reading; the answer closes the connection.
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (err) => finish({ ok: false, tooLarge: false, reason: err.message }));
  });
}

function headerCarrier(req: IncomingMessage): HeaderCarrier {
  return {
    get: (k) => {
      const v = req.headers[k.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    // Incoming headers are only read.
    set: () => undefined,
  };
}

/** Answers one request to /console/api/{name}. */
export async function serveBridge(req: IncomingMessage, res: ServerResponse, name: string, routes: Map<string, BridgeRoute>, deps: CallDeps): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, grpc.status.UNIMPLEMENTED, 'the console API takes POST with a JSON body', { http: 405, headers: { allow: 'POST' } });
    return;
  }
  // The key travels in the Authorization header only: a URL (with its query) ends up in logs and histories.
  if ((req.url ?? '').includes('?')) {
    sendError(res, grpc.status.INVALID_ARGUMENT, 'the console API takes no query parameters: send the request as a JSON body and the key as "Authorization: Bearer <key>"');
    return;
  }
  const route = routes.get(name);
  if (!route) {
    sendError(res, grpc.status.UNIMPLEMENTED, `unknown method ${JSON.stringify(name.slice(0, 64))}`);
    return;
  }
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    sendError(res, grpc.status.INVALID_ARGUMENT, 'the request body must be JSON (Content-Type: application/json)', { http: 415 });
    return;
  }
  const body = await readBody(req);
  if (!body.ok) {
    if (body.tooLarge) sendError(res, grpc.status.RESOURCE_EXHAUSTED, body.reason, { http: 413, headers: { connection: 'close' } });
    else sendError(res, grpc.status.INVALID_ARGUMENT, `the request body could not be read: ${body.reason}`);
    return;
  }
  // Malformed JSON is refused before the key is looked at, as grpc-js refuses a malformed message before any handler.
  let json: unknown;
  try {
    json = body.text.trim() === '' ? {} : JSON.parse(body.text);
  } catch (err) {
    sendError(res, grpc.status.INVALID_ARGUMENT, `request: not JSON (${(err as Error).message})`);
    return;
  }
  const metadata = new grpc.Metadata();
  if (req.headers.authorization !== undefined) metadata.set('authorization', req.headers.authorization);
  const op: Operation<unknown, unknown> = { ...route.op, run: (raw, caller) => route.op.run(route.parse(raw), caller) };
  await inSpan('api', route.op.name, extractTrace(headerCarrier(req)), async () => {
    const outcome = await invoke(op, deps, metadata, json);
    if (!outcome.ok) {
      sendError(res, outcome.error.code, outcome.error.details);
      return;
    }
    res.writeHead(200, JSON_HEADERS).end(JSON.stringify(route.toJson(outcome.value)));
  });
}
