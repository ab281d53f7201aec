import type { Msg } from '@nats-io/transport-node';
import { extractTrace, inSpan, type Logger } from '../telemetry/index.js';
import { headerCarrier, traceHeaders, type Bus } from './connection.js';
import type { RpcError, RpcReply } from './payloads.js';

export class RpcFailure extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

/** True when nobody listens on the subject (NATS "no responders"). */
export function isNoResponders(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  return e?.code === '503' || /no responders/i.test(e?.message ?? '') || e?.name === 'NoRespondersError';
}

export async function request<Req, Res>(bus: Bus, subject: string, payload: Req, timeoutMs = 5000): Promise<Res> {
  const msg = await bus.nc.request(subject, JSON.stringify(payload), { timeout: timeoutMs, headers: traceHeaders() });
  return msg.json<Res>();
}

/** Calls a service that answers RpcReply; a failure answer becomes an RpcFailure. */
export async function call<Req, Res>(bus: Bus, subject: string, payload: Req, timeoutMs = 5000): Promise<Res> {
  const reply = await request<Req, RpcReply<Res>>(bus, subject, payload, timeoutMs);
  if (!reply.ok) throw new RpcFailure(reply.error);
  return reply.result;
}

/** Serves request/reply on a subject (queue group so replicas share the load). */
export function serve<Req, Res>(bus: Bus, subject: string, component: string, log: Logger, handler: (req: Req) => Promise<Res>, queue?: string): { stop(): void } {
  const sub = bus.nc.subscribe(subject, {
    queue,
    callback: (err, msg: Msg) => {
      if (err) return;
      void inSpan(component, `serve ${subject}`, extractTrace(headerCarrier(msg.headers)), async () => {
        let reply: RpcReply<Res>;
        try {
          reply = { ok: true, result: await handler(msg.json<Req>()) };
        } catch (e) {
          if (e instanceof RpcFailure) reply = { ok: false, error: e.error };
          else {
            log.error({ subject, err: (e as Error).message }, 'rpc handler failed');
            reply = { ok: false, error: { code: 'internal', message: (e as Error).message } };
          }
        }
        msg.respond(JSON.stringify(reply));
      });
    },
  });
  return { stop: () => sub.unsubscribe() };
}
