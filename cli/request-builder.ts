// Turns flag values and an optional whole-request JSON into the JSON form of the
// request message. Every value is checked against the generated message's fields, so a
// typo in a nested key ("formt") is an error naming it instead of a field left empty.
import { readFileSync } from 'node:fs';
import type { FlagValue } from './argv.js';
import { flagName } from './argv.js';
import { findField, type FieldSpec } from './message-schema.js';
import { isTimeField, parseTimeInput, TIME_INPUT_HELP } from './time-format.js';
import { UsageError } from './usage-error.js';

export interface BuildContext {
  command: string;
  utc: boolean;
  nowMs?: number;
}

/** `where: message`, or just the message at the top of a --json request. */
function at(where: string, message: string, ctx: BuildContext): UsageError {
  return new UsageError(where ? `${where}: ${message}` : message, ctx.command);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function describeKind(f: FieldSpec): string {
  const one = f.kind === 'message' ? 'object' : f.kind;
  return f.repeated ? `a list of ${one}s` : `a ${one}`;
}

/** Checks a JSON value against a field and returns it with camelCase keys at every level. */
function normalizeValue(f: FieldSpec, value: Json, where: string, ctx: BuildContext): unknown {
  if (value === null) return undefined;
  if (f.repeated) {
    if (!Array.isArray(value)) throw at(where, `expected ${describeKind(f)}, got ${JSON.stringify(value)}`, ctx);
    return value.map((v, i) => normalizeElement(f, v, `${where}[${i}]`, ctx));
  }
  return normalizeElement(f, value, where, ctx);
}

function normalizeElement(f: FieldSpec, value: Json, where: string, ctx: BuildContext): unknown {
  const bad = () => at(where, `expected ${f.kind === 'message' ? 'an object' : `a ${f.kind}`}, got ${JSON.stringify(value)}`, ctx);
  switch (f.kind) {
    case 'string':
      if (typeof value !== 'string') throw bad();
      return value;
    case 'number':
      // Protobuf's JSON mapping allows numbers as strings (64-bit values need it).
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      throw bad();
    case 'boolean':
      if (typeof value !== 'boolean') throw bad();
      return value;
    case 'message':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad();
      return normalizeObject(f.fields ?? [], value, where, ctx);
    case 'json':
      return value;
  }
}

export function normalizeObject(fields: FieldSpec[], obj: { [k: string]: Json }, where: string, ctx: BuildContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const f = findField(fields, key);
    if (!f) throw at(where, `unknown field "${key}" (fields: ${fields.map((x) => x.protoName).join(', ')})`, ctx);
    out[f.name] = normalizeValue(f, value, where ? `${where}.${f.protoName}` : f.protoName, ctx);
  }
  return out;
}

function parseJson(text: string, where: string, ctx: BuildContext): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new UsageError(`${where}: invalid JSON: ${(err as Error).message}`, ctx.command);
  }
}

/** The text of a whole request: literal JSON, @file, or - for stdin. */
export function readRequestText(source: string, ctx: BuildContext): string {
  if (source === '-') return readFileSync(0, 'utf8');
  if (source.startsWith('@')) {
    try {
      return readFileSync(source.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--json ${source}: ${(err as Error).message}`, ctx.command);
    }
  }
  return source;
}

/** One flag's value for a scalar (non-list) field. */
function scalarFromFlag(f: FieldSpec, raw: string | boolean, flag: string, ctx: BuildContext): unknown {
  if (f.kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new UsageError(`${flag}: expected true or false, got '${raw}'`, ctx.command);
  }
  const text = String(raw);
  switch (f.kind) {
    case 'string':
      if (isTimeField(f.name)) {
        const t = parseTimeInput(text, ctx);
        if (t === null) throw new UsageError(`${flag}: not a time: '${text}'; give ${TIME_INPUT_HELP}`, ctx.command);
        return t;
      }
      return text;
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got '${text}'`, ctx.command);
      return n;
    }
    case 'message': {
      const v = parseJson(text, flag, ctx);
      return normalizeValue(f, v, flag, ctx);
    }
    default:
      return parseJson(text, flag, ctx);
  }
}

/** A list field: each occurrence of the flag is one element, or a JSON array (or object, for a list of messages) of them. */
function listFromFlag(f: FieldSpec, occurrences: (string | boolean)[], flag: string, ctx: BuildContext): unknown[] {
  const out: unknown[] = [];
  for (const occ of occurrences) {
    const text = String(occ);
    const looksJson = /^\s*[[{]/.test(text);
    if (f.kind === 'message' || f.kind === 'json' || looksJson) {
      const v = parseJson(text, flag, ctx);
      const list = Array.isArray(v) ? v : [v];
      out.push(...(normalizeValue(f, list, flag, ctx) as unknown[]));
    } else {
      out.push(scalarFromFlag({ ...f, repeated: false }, text, flag, ctx));
    }
  }
  return out;
}

/**
 * The request as the JSON form of its message (camelCase keys): the whole-request
 * JSON first, then each given flag replacing its field.
 */
export function buildRequest(fields: FieldSpec[], requestSource: string | undefined, flags: Map<string, FlagValue>, ctx: BuildContext): Record<string, unknown> {
  let request: Record<string, unknown> = {};
  if (requestSource !== undefined) {
    const parsed = parseJson(readRequestText(requestSource, ctx), '--json', ctx);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--json: the request must be a JSON object', ctx.command);
    try {
      request = normalizeObject(fields, parsed, '', ctx);
    } catch (err) {
      throw err instanceof UsageError ? new UsageError(`--json: ${err.message}`, ctx.command) : err;
    }
  }
  for (const f of fields) {
    const v = flags.get(f.name);
    if (v === undefined) continue;
    const flag = `--${flagName(f)}`;
    request[f.name] = f.repeated ? listFromFlag(f, Array.isArray(v) ? v : [v], flag, ctx) : scalarFromFlag(f, Array.isArray(v) ? v[v.length - 1] : v, flag, ctx);
  }
  return request;
}
