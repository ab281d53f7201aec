import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostDenied, type OutboundPolicy } from './address-policy.js';
import { OutboundDenied, guardedLookup } from './guarded-lookup.js';

export interface OutboundOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A larger answer body is an error (the rest is not read). */
  maxBodyBytes: number;
  policy: OutboundPolicy;
}

export interface OutboundAnswer {
  status: number;
  body: Buffer;
}

export class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * An HTTP(S) request to a URL that came from a user (callbacks, on-demand): the host
 * is checked against the allow list and, if a literal, the deny list; a name is
 * checked when the socket resolves it (guardedLookup). Redirects are not followed.
 * A timeout rejects with an error named TimeoutError, like fetch's.
 */
export function outboundRequest(url: string | URL, o: OutboundOptions): Promise<OutboundAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new OutboundDenied(`${target.protocol} URLs are not allowed`));
  const denied = hostDenied(target.hostname, o.policy);
  if (denied) return Promise.reject(new OutboundDenied(denied));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: o.method ?? 'GET', headers: o.headers, lookup: guardedLookup(o.policy), agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBodyBytes) {
          res.destroy();
          fail(new BodyTooLarge(o.maxBodyBytes));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      const e = new Error(`no answer within ${o.timeoutMs} ms`);
      e.name = 'TimeoutError';
      req.destroy(e);
    }, o.timeoutMs);
    let settled = false;
    function done(a: OutboundAnswer) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    }
    function fail(err: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    }
    req.on('error', fail);
    req.end(o.body);
  });
}
