import { AsyncResource } from 'node:async_hooks';
import type { Msg } from '@nats-io/transport-node';
import type { Counter } from '@opentelemetry/api';
import { extractTrace, inSpan, meter, type Logger } from '../telemetry/index.js';
import { headerCarrier, traceHeaders, type Bus } from './connection.js';
import type { RpcError, RpcReply } from './payloads.js';
import { MAX_REPLY_BYTES, ReplyAssembler, partHeaders, splitReply } from './reply-parts.js';

export class RpcFailure extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

/** No (complete) answer within the deadline. The message says "timeout" so callers map it like NATS's own. */
export class RpcTimeout extends Error {
  readonly code = 'TIMEOUT';
  constructor(subject: string, timeoutMs: number, got: string) {
    super(`timeout: ${subject} did not answer within ${timeoutMs} ms (${got})`);
    this.name = 'TimeoutError';
  }
}

/** One page of a listing: what a paged RPC asks for ... */
export interface PageQuery {
  /** 1-based. */
  pageNum: number;
  pageSize: number;
  order: 'asc' | 'desc';
}

/** ... and what it answers: the page's items and how many there are in all. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** True when nobody listens on the subject (NATS "no responders"). */
export function isNoResponders(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  return e?.code === '503' || /no responders/i.test(e?.message ?? '') || e?.name === 'NoRespondersError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

function maxPayloadOf(bus: Bus): number {
  return bus.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

/**
 * Sends a request and returns the whole answer, joined from its parts when the
 * responder had to split it (see reply-parts.ts).
 */
async function requestWhole(bus: Bus, subject: string, payload: unknown, timeoutMs: number): Promise<Uint8Array> {
  const data = encoder.encode(JSON.stringify(payload));
  const limit = maxPayloadOf(bus);
  // Checked here so the caller learns which request was too large, not a bare "max_payload exceeded".
  if (data.length > limit - 1024) {
    throw new RpcFailure({ code: 'invalid_argument', message: `request: ${data.length} bytes exceed the broker's message limit (${limit} bytes)` });
  }
  const replies = await bus.nc.requestMany(subject, data, { strategy: 'timer', maxWait: timeoutMs, headers: traceHeaders() });
  const parts = new ReplyAssembler(subject);
  for await (const msg of replies) {
    const whole = parts.add(msg);
    if (whole) return whole; // leaving the loop ends the request
  }
  throw new RpcTimeout(subject, timeoutMs, parts.progress());
}

/** A request answered by one JSON document (an actor's reply, or a serve() handler's). */
export async function request<Req, Res>(bus: Bus, subject: string, payload: Req, timeoutMs = 5000): Promise<Res> {
  return JSON.parse(decoder.decode(await requestWhole(bus, subject, payload, timeoutMs))) as Res;
}

/** Calls a service that answers RpcReply; a failure answer becomes an RpcFailure. */
export async function call<Req, Res>(bus: Bus, subject: string, payload: Req, timeoutMs = 5000): Promise<Res> {
  const reply = await request<Req, RpcReply<Res>>(bus, subject, payload, timeoutMs);
  if (!reply.ok) throw new RpcFailure(reply.error);
  return reply.result;
}

let failureCounter: Counter | null = null;
let splitCounter: Counter | null = null;
// Created on first use: a meter taken before the host installs telemetry would be a no-op for ever.
function failures(): Counter {
  return (failureCounter ??= meter('bus').createCounter('liverecord_rpc_failures_total', { description: 'Requests a service could not answer normally, by subject and stage (request, handler, reply, subscription)' }));
}
function splits(): Counter {
  return (splitCounter ??= meter('bus').createCounter('liverecord_rpc_split_replies_total', { description: 'Replies larger than one broker message, sent in parts' }));
}

/** The handler's outcome as a reply; nothing it throws leaves this function. */
async function outcome<Req, Res>(subject: string, msg: Msg, log: Logger, handler: (req: Req) => Promise<Res>): Promise<RpcReply<Res>> {
  let req: Req;
  try {
    req = msg.json<Req>();
  } catch (e) {
    failures().add(1, { subject, stage: 'request' });
    log.warn({ subject, err: (e as Error).message }, 'rpc request is not JSON');
    return { ok: false, error: { code: 'invalid_argument', message: `request: not a JSON document (${(e as Error).message})` } };
  }
  try {
    return { ok: true, result: await handler(req) };
  } catch (e) {
    if (e instanceof RpcFailure) return { ok: false, error: e.error };
    failures().add(1, { subject, stage: 'handler' });
    log.error({ subject, err: (e as Error).message, stack: (e as Error).stack }, 'rpc handler failed');
    return { ok: false, error: { code: 'internal', message: (e as Error).message } };
  }
}

/** Encodes a reply, refusing one too large to be worth sending (a paging bug, not the caller's fault). */
function encodeReply(subject: string, reply: RpcReply<unknown>, log: Logger): Uint8Array {
  let body: Uint8Array;
  try {
    body = encoder.encode(JSON.stringify(reply));
  } catch (e) {
    failures().add(1, { subject, stage: 'reply' });
    log.error({ subject, err: (e as Error).message }, 'rpc reply cannot be encoded');
    return encoder.encode(JSON.stringify({ ok: false, error: { code: 'internal', message: `the answer cannot be encoded: ${(e as Error).message}` } }));
  }
  if (body.length <= MAX_REPLY_BYTES) return body;
  failures().add(1, { subject, stage: 'reply' });
  log.error({ subject, bytes: body.length, limit: MAX_REPLY_BYTES }, 'rpc reply too large; refused');
  return encoder.encode(JSON.stringify({ ok: false, error: { code: 'internal', message: `the answer (${body.length} bytes) exceeds ${MAX_REPLY_BYTES} bytes` } }));
}

/** Sends the reply, in parts when it does not fit one message. A failed send is logged and counted, never thrown. */
function respond(bus: Bus, subject: string, msg: Msg, reply: RpcReply<unknown>, log: Logger): void {
  if (!msg.reply) return; // published without a reply subject: nobody waits for an answer
  const parts = splitReply(encodeReply(subject, reply, log), maxPayloadOf(bus));
  try {
    if (parts.length === 1) {
      msg.respond(parts[0]);
      return;
    }
    splits().add(1, { subject });
    parts.forEach((part, i) => msg.respond(part, { headers: partHeaders(i, parts.length) }));
  } catch (e) {
    failures().add(1, { subject, stage: 'reply' });
    log.error({ subject, parts: parts.length, err: (e as Error).message }, 'rpc reply could not be sent');
    try {
      msg.respond(encoder.encode(JSON.stringify({ ok: false, error: { code: 'internal', message: `the answer could not be sent: ${(e as Error).message}` } })));
    } catch (e2) {
      // The connection itself is gone: the caller times out; the failure is already logged and counted.
      log.error({ subject, err: (e2 as Error).message }, 'rpc error reply could not be sent either');
    }
  }
}

/** Serves request/reply on a subject (queue group so replicas share the load). */
export function serve<Req, Res>(bus: Bus, subject: string, component: string, log: Logger, handler: (req: Req) => Promise<Res>, queue?: string): { stop(): void } {
  const answer = (msg: Msg) =>
    inSpan(component, `serve ${subject}`, extractTrace(headerCarrier(msg.headers)), async () => {
      respond(bus, subject, msg, await outcome(subject, msg, log, handler), log);
    });
  const sub = bus.nc.subscribe(subject, {
    queue,
    // Bound to the async context of the caller (its service): anything that still escapes is
    // attributed to that service by the process's escaped-error handler (libs/runtime).
    callback: AsyncResource.bind((err: Error | null, msg: Msg) => {
      if (err) {
        failures().add(1, { subject, stage: 'subscription' });
        log.error({ subject, err: err.message }, 'rpc subscription failed');
        return;
      }
      answer(msg).catch((e: unknown) => {
        failures().add(1, { subject, stage: 'reply' });
        log.error({ subject, err: (e as Error).message }, 'rpc answer failed');
      });
    }),
  });
  return { stop: () => sub.unsubscribe() };
}
