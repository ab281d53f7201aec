// The on-demand recording callback: ask the customer's endpoint whether (and
// how) to record a publish. Parsing is pure; the request is bounded in time and size.
import { RECORD_FORMATS, type RecordFormat } from '../../../libs/bus/index.js';
import { inRange, type Range } from '../../../libs/config/index.js';
import { BodyTooLarge, OutboundDenied, outboundRequest, type OutboundAnswer, type OutboundPolicy } from '../../../libs/outbound/index.js';

export const MAX_ANSWER_BYTES = 2048;

export interface OnDemandAnswer {
  needRecord: boolean;
  /** Cycle overrides in seconds, per format. */
  intervals: Partial<Record<RecordFormat, number>>;
  /** Formats asked for (lower case); null when the answer names none. */
  formats: string[] | null;
}

export class OnDemandFailure extends Error {}

function formatKey(name: string): RecordFormat | null {
  const f = name.toLowerCase();
  return (RECORD_FORMATS as readonly string[]).includes(f) ? (f as RecordFormat) : null;
}

export function parseOnDemandAnswer(body: string, intervalRange: Range): OnDemandAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new OnDemandFailure('the answer is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new OnDemandFailure('the answer is not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.NeedRecord !== 'boolean') throw new OnDemandFailure('NeedRecord is missing or not a boolean');
  const intervals: OnDemandAnswer['intervals'] = {};
  if (o.Interval !== undefined && o.Interval !== null) {
    if (typeof o.Interval !== 'object' || Array.isArray(o.Interval)) throw new OnDemandFailure('Interval is not an object');
    for (const [k, v] of Object.entries(o.Interval as Record<string, unknown>)) {
      const f = formatKey(k);
      if (!f) throw new OnDemandFailure(`Interval names an unknown format "${k}"`);
      if (typeof v !== 'number' || !Number.isInteger(v) || !inRange(v, intervalRange)) {
        throw new OnDemandFailure(`Interval.${k} must be ${intervalRange.min}..${intervalRange.max} seconds`);
      }
      intervals[f] = v;
    }
  }
  let formats: string[] | null = null;
  if (o.Format !== undefined && o.Format !== null) {
    if (!Array.isArray(o.Format) || o.Format.some((f) => typeof f !== 'string')) throw new OnDemandFailure('Format is not a list of strings');
    formats = (o.Format as string[]).map((f) => f.trim().toLowerCase());
  }
  return { needRecord: o.NeedRecord, intervals, formats };
}

export interface OnDemandQuery {
  domain: string;
  app: string;
  stream: string;
  codec: string;
  vbitrate: number;
}

/** GET {url}?domain=&app=&stream=&codec=&vbitrate= and parse the answer; any problem is an OnDemandFailure naming it. */
export async function askOnDemand(url: string, q: OnDemandQuery, timeoutMs: number, intervalRange: Range, policy: OutboundPolicy): Promise<OnDemandAnswer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new OnDemandFailure(`the on-demand URL "${url}" is not a URL`);
  }
  for (const [k, v] of Object.entries(q)) target.searchParams.set(k, String(v));
  let res: OutboundAnswer;
  try {
    // Resolved and checked against the outbound policy at connect time (libs/outbound), redirects not followed.
    res = await outboundRequest(target, { timeoutMs, maxBodyBytes: MAX_ANSWER_BYTES, policy });
  } catch (err) {
    const e = err as Error;
    if (e instanceof BodyTooLarge) throw new OnDemandFailure(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    if (e instanceof OutboundDenied) throw new OnDemandFailure(`refused by the outbound guard: ${e.message}`);
    throw new OnDemandFailure(e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `request failed: ${e.message}`);
  }
  if (res.status !== 200) throw new OnDemandFailure(`the endpoint answered HTTP ${res.status}`);
  return parseOnDemandAnswer(res.body.toString('utf8'), intervalRange);
}
