// Validation of request fields; every error names the field in proto style.
import { isSafeDomain, isSafeName } from '../../../libs/naming/index.js';
import type { StreamRef } from '../../../libs/bus/index.js';
import { invalid } from './grpc-errors.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function requireText(field: string, value: string | undefined): string {
  const v = (value ?? '').trim();
  if (!v) throw invalid(field, 'is required');
  return v;
}

export function parseTime(field: string, value: string | undefined): number {
  const v = requireText(field, value);
  if (!RFC3339.test(v)) throw invalid(field, `must be an RFC 3339 time such as 2026-11-26T08:00:00Z, got "${v}"`);
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw invalid(field, `is not a valid time: "${v}"`);
  return ms;
}

/** RFC 3339 in UTC, with milliseconds only when they are not zero. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function domainField(field: string, value: string | undefined): string {
  const v = requireText(field, value).toLowerCase();
  if (!isSafeDomain(v)) throw invalid(field, `is not a valid domain name: "${v}"`);
  return v;
}

export function nameField(field: string, value: string | undefined): string {
  const v = requireText(field, value);
  if (!isSafeName(v)) throw invalid(field, `may only contain letters, digits, - and _ (1..128 characters), got "${v}"`);
  return v;
}

export function streamFields(req: { domainName?: string; appName?: string; streamName?: string }): StreamRef {
  return {
    domain: domainField('domain_name', req.domainName),
    app: nameField('app_name', req.appName),
    stream: nameField('stream_name', req.streamName),
  };
}

export function intInRange(field: string, value: number | undefined, def: number, min: number, max: number): number {
  if (value === undefined || value === 0) return def;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(field, `must be ${min}..${max}, got ${value}`);
  return value;
}
