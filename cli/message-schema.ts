// The fields of a generated message, found by asking its generated codec: ts-proto
// keeps no descriptors at run time, but its fromJSON fills every field's default
// ("" for strings, 0 for numbers, false, [] for repeated, undefined for messages), and
// what it makes of a probe value tells the kind of a list's elements and a message's fields.
// So flags and tables follow the generated types without a hand-written list.

export type FieldKind = 'string' | 'number' | 'boolean' | 'message' | 'json';

export interface FieldSpec {
  /** camelCase, as in the generated types. */
  name: string;
  /** snake_case, as in the proto and the README. */
  protoName: string;
  kind: FieldKind;
  repeated: boolean;
  /** Fields of a message (or of a list's message elements). */
  fields?: FieldSpec[];
}

type FromJson = (object: unknown) => unknown;

/** Nesting deeper than this is taken as JSON without a schema (guards recursive messages). */
const MAX_DEPTH = 6;

export function toProtoName(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function kindOfValue(v: unknown): FieldKind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return 'message';
  return 'json';
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

export function messageSchema(fromJSON: FromJson, depth = 0): FieldSpec[] {
  const base = asRecord(fromJSON({}));
  return Object.keys(base).map((name) => {
    const spec = (kind: FieldKind, repeated: boolean, child?: FromJson): FieldSpec => ({
      name,
      protoName: toProtoName(name),
      kind: kind === 'message' && (!child || depth >= MAX_DEPTH) ? 'json' : kind,
      repeated,
      ...(kind === 'message' && child && depth < MAX_DEPTH ? { fields: messageSchema(child, depth + 1) } : {}),
    });
    const v = base[name];
    if (Array.isArray(v)) {
      // A string probe comes back as the string, a number (NaN), a boolean, or a default message.
      const element = asRecord(fromJSON({ [name]: ['x'] }))[name];
      const kind = kindOfValue(Array.isArray(element) ? element[0] : undefined);
      return spec(kind, true, (o) => {
        const list = asRecord(fromJSON({ [name]: [o] }))[name];
        return Array.isArray(list) ? list[0] : undefined;
      });
    }
    if (v === undefined) {
      // Only message fields default to undefined.
      const probed = asRecord(fromJSON({ [name]: {} }))[name];
      return spec(kindOfValue(probed), false, (o) => asRecord(fromJSON({ [name]: o }))[name]);
    }
    // Maps default to {} and have no element schema.
    return spec(kindOfValue(v) === 'message' ? 'json' : kindOfValue(v), false);
  });
}

/** A field by its camelCase or snake_case name. */
export function findField(fields: FieldSpec[], key: string): FieldSpec | undefined {
  return fields.find((f) => f.name === key || f.protoName === key);
}
