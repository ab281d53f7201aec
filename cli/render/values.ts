// One field's value as text for a table cell or a "name: value" line.
import type { FieldSpec } from '../message-schema.js';
import { formatTime, isTimeField } from '../time-format.js';
import { INLINE_FIELDS, PAIR_FIELDS } from './columns.js';

export interface RenderContext {
  utc: boolean;
  wide: boolean;
  /** In a table cell: nested messages show only their INLINE_FIELDS. */
  compact?: boolean;
}

export const EMPTY = '-';

/**
 * Names come from publishers (stream names, push URLs): control characters are shown
 * escaped so that a stored name cannot move the cursor or recolour the terminal.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}

function isDefault(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/** A message on one line: its non-default fields as name=value. */
export function inlineMessage(fields: FieldSpec[], obj: Record<string, unknown>, ctx: RenderContext): string {
  const parts = fields.filter((f) => !isDefault(obj[f.name])).map((f) => `${f.protoName}=${formatValue(f, obj[f.name], ctx)}`);
  return parts.length ? parts.join(' ') : EMPTY;
}

function formatOne(f: FieldSpec, v: unknown, ctx: RenderContext): string {
  if (v === undefined || v === null) return EMPTY;
  switch (f.kind) {
    case 'string':
      if (v === '') return EMPTY;
      return printable(isTimeField(f.name) ? formatTime(String(v), ctx.utc) : String(v));
    case 'number':
      return formatNumber(Number(v));
    case 'boolean':
      return String(v);
    case 'message': {
      const only = ctx.compact ? INLINE_FIELDS[f.name] : undefined;
      const fields = (f.fields ?? []).filter((x) => !only || only.includes(x.name));
      return inlineMessage(fields, v as Record<string, unknown>, ctx);
    }
    case 'json':
      return printable(JSON.stringify(v));
  }
}

/** A (name, amount) pair as "name amount", e.g. "m3u8 120.5". */
function formatPair(f: FieldSpec, [nameField, amountField]: readonly [string, string], v: unknown, ctx: RenderContext): string {
  const obj = (v ?? {}) as Record<string, unknown>;
  const amount = (f.fields ?? []).find((x) => x.name === amountField);
  const name = printable(String(obj[nameField] ?? EMPTY));
  return amount ? `${name} ${formatValue(amount, obj[amountField] ?? 0, ctx)}` : name;
}

export function formatValue(f: FieldSpec, v: unknown, ctx: RenderContext): string {
  if (!f.repeated) return formatOne(f, v, ctx);
  const list = Array.isArray(v) ? v : [];
  if (!list.length) return EMPTY;
  const pair = f.kind === 'message' ? PAIR_FIELDS[f.name] : undefined;
  if (pair) return list.map((e) => formatPair(f, pair, e, ctx)).join(', ');
  return list.map((e) => formatOne(f, e, ctx)).join(f.kind === 'message' ? '; ' : ',');
}
