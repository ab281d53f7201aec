// A JSON request body as the message a gRPC client would have sent. The generated
// fromJSON is lenient (it turns "abc" into NaN, "false" into true, ignores unknown
// names); here a value of the wrong type or an unknown field is INVALID_ARGUMENT
// naming the field, and the result goes through the wire encoding once, so a
// handler sees exactly what the gRPC server would have decoded.
import type { MessageFns } from '../../../../libs/proto/index.js';
import { invalid } from '../grpc-errors.js';
import { shown } from '../request-fields.js';

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** A value as a message quotes it: a string quoted, anything else as its JSON (cut when long). */
function describe(raw: unknown): string {
  if (typeof raw === 'string') return shown(raw);
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 64 ? shown(text) : text;
}

/** A number the client sent that not every numeric field can hold (a fraction, or beyond 32 bits). */
interface NumberLeaf {
  path: string;
  at: (string | number)[];
  raw: unknown;
  value: number;
}

const INT32_SAFE = (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31;

/**
 * Compares what the client sent (raw) with what fromJSON made of it (parsed), field by
 * field. `parsed` knows every field of the message (fromJSON fills defaults), so a raw
 * name it lacks is unknown. Numbers that an integer field could not hold are collected.
 */
function check(raw: unknown, parsed: unknown, path: string, at: (string | number)[], leaves: NumberLeaf[]): void {
  // null is proto3 JSON for "the default".
  if (raw === undefined || raw === null) return;
  if (typeof parsed === 'string') {
    if (typeof raw !== 'string') throw invalid(path, `must be a string, got ${describe(raw)}`);
    return;
  }
  if (typeof parsed === 'boolean') {
    if (typeof raw !== 'boolean') throw invalid(path, `must be true or false, got ${describe(raw)}`);
    return;
  }
  if (typeof parsed === 'number') {
    // proto3 JSON also allows a number as a string ("30").
    const numeric = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '');
    if (!numeric || !Number.isFinite(parsed)) throw invalid(path, `must be a number, got ${describe(raw)}`);
    if (!INT32_SAFE(parsed)) leaves.push({ path, at, raw, value: parsed });
    return;
  }
  if (Array.isArray(parsed)) {
    if (!Array.isArray(raw)) throw invalid(path, `must be a list, got ${describe(raw)}`);
    raw.forEach((item, i) => check(item, parsed[i], `${path}[${i}]`, [...at, i], leaves));
    return;
  }
  if (isObject(parsed)) {
    if (!isObject(raw)) throw invalid(path || 'request', `must be a JSON object, got ${describe(raw)}`);
    for (const [name, value] of Object.entries(raw)) {
      const field = camel(name);
      if (!(field in parsed)) throw invalid(join(path, name), 'is not a field of this request');
      check(value, parsed[field], join(path, snake(field)), [...at, field], leaves);
    }
  }
}

function withLeaf<T>(message: T, at: (string | number)[], value: number): T {
  const copy = structuredClone(message) as Record<string | number, unknown>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[at[at.length - 1]] = value;
  return copy as T;
}

/**
 * The wire encoding refuses a number its field's type cannot hold (1.5 or 2^40 for an
 * int32) without naming the field: each such number is tried alone (the others set to
 * 0) to find the one that is refused.
 */
function encode<T>(codec: MessageFns<T>, parsed: T, leaves: NumberLeaf[]): Uint8Array {
  try {
    return codec.encode(parsed).finish();
  } catch (err) {
    const zeroed = leaves.reduce((m, leaf) => withLeaf(m, leaf.at, 0), parsed);
    for (const leaf of leaves) {
      try {
        codec.encode(withLeaf(zeroed, leaf.at, leaf.value)).finish();
      } catch {
        // This number alone is refused: its field is an integer of a smaller range.
        throw invalid(leaf.path, `must be an integer in the field's range, got ${describe(leaf.raw)}`);
      }
    }
    throw invalid('request', `cannot be encoded: ${(err as Error).message}`);
  }
}

/** The request message of a JSON body (camelCase or proto snake_case names), or INVALID_ARGUMENT naming the field. */
export function requestFromJson<T>(codec: MessageFns<T>, body: unknown): T {
  if (!isObject(body)) throw invalid('request', `must be a JSON object, got ${describe(body)}`);
  const parsed = codec.fromJSON(body);
  const leaves: NumberLeaf[] = [];
  check(body, parsed, '', [], leaves);
  return codec.decode(encode(codec, parsed, leaves));
}
