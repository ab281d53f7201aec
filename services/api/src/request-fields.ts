// Validation of request fields; every error names the field in proto style.
import { isSafeDomain, isSafeName } from '../../../libs/naming/index.js';
import type { StreamRef } from '../../../libs/bus/index.js';
import { invalid } from './grpc-errors.js';

/** Longest text any field may hold: names, keys, URLs and times are far shorter. */
export const MAX_TEXT = 4096;
/** Longest list any field may hold (record_id allows 1000; the others far fewer). */
export const MAX_LIST = 1000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** A value as an error message quotes it: control characters visible, at most 64 characters. */
export function shown(value: string): string {
  const chars = Array.from(value);
  const cut = chars.length > 64 ? `${chars.slice(0, 64).join('')}…(${chars.length} characters)` : value;
  return JSON.stringify(cut);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Bounds every text and list of a request before anything else reads it, so
 * no oversized value reaches a regular expression, a log line, an error
 * message or the broker. The error names the field path (`record_format[2].tags[0]`).
 */
export function checkSizes(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (value.length > MAX_TEXT) throw invalid(path, `at most ${MAX_TEXT} characters, got ${value.length}`);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST) throw invalid(path, `at most ${MAX_LIST} entries, got ${value.length}`);
    value.forEach((v, i) => checkSizes(v, `${path}[${i}]`));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkSizes(v, path ? `${path}.${snake(k)}` : snake(k));
  }
}

export function requireText(field: string, value: string | undefined): string {
  const v = (value ?? '').trim();
  if (!v) throw invalid(field, 'is required');
  return v;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An RFC 3339 time; impossible dates (February 30, hour 24, a leap second) are refused rather than rolled over. */
export function parseTime(field: string, value: string | undefined): number {
  const v = requireText(field, value);
  const m = RFC3339.exec(v);
  if (!m) throw invalid(field, `must be an RFC 3339 time such as 2026-11-26T08:00:00Z, got ${shown(v)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetOk = m[8] === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 || !offsetOk) {
    throw invalid(field, `is not a valid time: ${shown(v)}`);
  }
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw invalid(field, `is not a valid time: ${shown(v)}`);
  return ms;
}

/** RFC 3339 in UTC, with milliseconds only when they are not zero. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function domainField(field: string, value: string | undefined): string {
  const v = requireText(field, value).toLowerCase();
  if (!isSafeDomain(v)) throw invalid(field, `is not a valid domain name: ${shown(v)}`);
  return v;
}

export function nameField(field: string, value: string | undefined): string {
  const v = requireText(field, value);
  if (!isSafeName(v)) throw invalid(field, `may only contain letters, digits, - and _ (1..128 characters), got ${shown(v)}`);
  return v;
}

/** A key part of a template: "*" (every app or stream) or a name. */
export function templateKeyField(field: string, value: string | undefined): string {
  const v = requireText(field, value);
  if (v !== '*' && !isSafeName(v)) throw invalid(field, `must be "*" or letters, digits, - and _ (1..128 characters), got ${shown(v)}`);
  return v;
}

/** An optional filter on a template key part: empty for any, else as templateKeyField. */
export function templateKeyPart(field: string, value: string | undefined): string {
  return (value ?? '').trim() ? templateKeyField(field, value) : '';
}

export function streamFields(req: { domainName?: string; appName?: string; streamName?: string }): StreamRef {
  return {
    domain: domainField('domain_name', req.domainName),
    app: nameField('app_name', req.appName),
    stream: nameField('stream_name', req.streamName),
  };
}

/** A record id: the catalogue makes them short and printable; anything else cannot name a record. */
export function recordIdField(field: string, value: string | undefined): string {
  const v = requireText(field, value);
  if (v.length > 256) throw invalid(field, `is not a record id (at most 256 characters, got ${v.length})`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) throw invalid(field, `is not a record id (control characters): ${shown(v)}`);
  return v;
}

export function orderField(value: string | undefined): 'asc' | 'desc' {
  const order = (value || 'asc').trim().toLowerCase();
  if (order !== 'asc' && order !== 'desc') throw invalid('order', `must be asc or desc, got ${shown(value ?? '')}`);
  return order;
}

export function intInRange(field: string, value: number | undefined, def: number, min: number, max: number): number {
  if (value === undefined || value === 0) return def;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(field, `must be ${min}..${max}, got ${value}`);
  return value;
}
