// Seeded generation of hostile gRPC requests from the proto's own descriptors,
// so every method and field is covered without a hand-written list that could
// fall behind the proto. The same seed gives the same requests.
import { randomInt } from 'node:crypto';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_FILE, PROTO_ROOT } from '../libs/proto/index.js';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: LR_FUZZ_SEED replays a failure, otherwise a fresh one. */
export function fuzzSeed(): number {
  const given = process.env.LR_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0) throw new Error(`LR_FUZZ_SEED must be a non-negative integer, got "${given}"`);
    return n;
  }
  return randomInt(2 ** 31);
}

export const MEGABYTE_STRING = 'x'.repeat(1024 * 1024);

/** Strings that have broken parsers, paths, logs and terminals before. */
export const EDGE_STRINGS: readonly string[] = [
  '', ' ', '\t', 'a', '*', '.', '..', '../', '../../etc/passwd', '/abs/path', 'a/../../b.m3u8', '%2e%2e%2f', 'record//x.m3u8', 'record/./x.ts',
  'clips/fuzz.m3u8/inside', 'clips', 'record/live',
  '\u0000', 'a\u0000b', '\n', '\r\n', '\u001b[31mred\u001b[0m', '\u007f', '\u0085', '\u2028',
  '流媒体录制', '🎥📼', 'e\u0301', '\u202eevil', '\ufeffbom', '\ud800', '\udfff', 'a\ud83d',
  'y'.repeat(4097), 'z'.repeat(4096), 'a'.repeat(129), 'b'.repeat(254), 'c'.repeat(600),
  '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00+01:00', '1970-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z',
  '2016-12-31T23:59:60Z', '2026-01-01T00:00:00+99:99', '2026-13-01T00:00:00Z', '2026-01-01T00:00:00.123456789Z', '2026-01-01', '+275760-09-13T00:00:00Z',
  'now', '-1', 'NaN', 'Infinity', '1e309', 'null', 'undefined', '{"a":1}', '<script>alert(1)</script>', "'; DROP TABLE record_files; --",
  'asc', 'DESC', 'start', 'STOP', 'cancel_delay', 'restart', 'm3u8', 'MP4', 'flv', 'cmaf', 'raw', 'transcode', 'origin', 'compose', 'workflow',
  'http://127.0.0.1:1/x', 'https://', 'ftp://x', 'javascript:alert(1)', 'http://[::1', 'localhost', 'LOCALHOST', 'a.b', '-bad-.com', 'live', 'fuzz',
  '{AppName}', '{Unknown}', 'record/{AppName}/{StreamName}/{Sequence}', '{', 'x}', 'lr.evt.>', '_INBOX.x', '*.*',
];

export const EDGE_INTS: readonly number[] = [
  0, 1, -1, 2, 5, 7, 15, 29, 30, 31, 100, 101, 900, 3000, 3001, 21600, 21601, 100000, 1000000, 1000001, 2147483647, -2147483648,
];

/** Lengths of generated lists, 10 000 included. */
export const LIST_LENGTHS: readonly number[] = [0, 1, 2, 3, 10000];

interface FieldDescriptor {
  name: string;
  type: string;
  label: string;
  typeName: string;
}

export interface MethodInfo {
  /** Name on the generic client (the proto's method name). */
  name: string;
  requestType: string;
  fields: FieldDescriptor[];
}

const PACKAGE = 'liverecord.v1';

/** The loaded proto (field names as in the proto: snake_case) and its service's methods. */
export function loadService(): { definition: protoLoader.PackageDefinition; methods: MethodInfo[] } {
  const definition = protoLoader.loadSync(PROTO_FILE, { includeDirs: [PROTO_ROOT], keepCase: true });
  const service = definition[`${PACKAGE}.LiveRecordService`] as protoLoader.ServiceDefinition;
  const methods = Object.entries(service).map(([name, m]) => {
    const type = (m.requestType as protoLoader.MessageTypeDefinition<object, object>).type as { name: string; field: FieldDescriptor[] };
    return { name, requestType: type.name, fields: type.field };
  });
  return { definition, methods };
}

export class RequestFuzzer {
  constructor(private readonly definition: protoLoader.PackageDefinition, private readonly rnd: () => number) {}

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)];
  }

  private fieldsOf(typeName: string): FieldDescriptor[] {
    const t = this.definition[`${PACKAGE}.${typeName}`] as protoLoader.MessageTypeDefinition<object, object>;
    return (t.type as { field: FieldDescriptor[] }).field;
  }

  /** One value of a scalar or message field, from the edge pools or random; `big` allows the 1 MB string. */
  value(f: FieldDescriptor, big: boolean, depth: number): unknown {
    switch (f.type) {
      case 'TYPE_STRING': {
        const r = this.rnd();
        if (big && r < 0.05) return MEGABYTE_STRING;
        if (r < 0.8) return this.pick(EDGE_STRINGS);
        // Random printable and unprintable code units.
        return Array.from({ length: 1 + Math.floor(this.rnd() * 40) }, () => String.fromCharCode(Math.floor(this.rnd() * 0xffff))).join('');
      }
      case 'TYPE_INT32':
        return this.rnd() < 0.8 ? this.pick(EDGE_INTS) : Math.floor(this.rnd() * 2 ** 32) - 2 ** 31;
      case 'TYPE_BOOL':
        return this.rnd() < 0.5;
      case 'TYPE_DOUBLE':
        return this.pick([0, -1, 1e308, -1e308, Number.MIN_VALUE, 0.5]);
      case 'TYPE_MESSAGE':
        return depth > 2 ? {} : this.message(f.typeName, false, depth + 1);
      default:
        throw new Error(`fuzz: no generator for ${f.type} (${f.name})`);
    }
  }

  private field(f: FieldDescriptor, big: boolean, depth: number): unknown {
    if (f.label !== 'LABEL_REPEATED') return this.value(f, big, depth);
    const n = this.pick(LIST_LENGTHS);
    // A 10 000-element list holds small elements (a request must stay under gRPC's 4 MB).
    if (n > 100) return Array.from({ length: n }, (_, i) => (f.type === 'TYPE_STRING' ? `v${i}` : f.type === 'TYPE_MESSAGE' ? { format: 'm3u8' } : i));
    return Array.from({ length: n }, () => this.value(f, false, depth));
  }

  /** A random message of the type: each field absent, an edge value or random; at most one field may get the 1 MB string. */
  message(typeName: string, big: boolean, depth = 0): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const fields = this.fieldsOf(typeName);
    const bigOne = big ? Math.floor(this.rnd() * fields.length) : -1;
    fields.forEach((f, i) => {
      if (this.rnd() < 0.3) return;
      out[f.name] = this.field(f, i === bigOne, depth);
    });
    return out;
  }

  /** A valid request with one to three fields replaced by hostile values (reaches deeper than pure noise). */
  mutate(base: Record<string, unknown>, m: MethodInfo): Record<string, unknown> {
    const out = structuredClone(base);
    const n = 1 + Math.floor(this.rnd() * 3);
    for (let i = 0; i < n; i++) {
      const f = this.pick(m.fields);
      out[f.name] = this.rnd() < 0.1 ? undefined : this.field(f, i === 0, 0);
    }
    return out;
  }
}

/** A request as a failure report shows it: long strings and lists abbreviated. */
export function describeRequest(req: unknown): string {
  return JSON.stringify(req, (_k, v: unknown) => {
    if (typeof v === 'string' && v.length > 40) return `${v.slice(0, 20)}…(${v.length} chars)`;
    if (Array.isArray(v) && v.length > 5) return [...v.slice(0, 2), `…(${v.length} entries)`];
    return v;
  });
}
