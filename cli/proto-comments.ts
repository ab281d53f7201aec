// The proto's comments on request fields, for `liverecord help <command>`: the
// generated code keeps them only as TypeScript doc comments, which are gone at run
// time. Read from the .proto shipped in the checkout; without it help just has no notes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTO_FILE, PROTO_ROOT } from '../libs/proto/index.js';

let cache: Map<string, Map<string, string>> | undefined;

/** message name → field (snake_case) → its comment, joined onto one line. */
export function parseFieldComments(protoText: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let message: Map<string, string> | undefined;
  let pending: string[] = [];
  for (const raw of protoText.split('\n')) {
    const line = raw.trim();
    const start = /^message\s+(\w+)\s*\{/.exec(line);
    if (start) {
      message = new Map();
      out.set(start[1], message);
      pending = [];
    } else if (line.startsWith('//')) {
      pending.push(line.replace(/^\/\/\s?/, ''));
    } else if (message && /^}/.test(line)) {
      message = undefined;
      pending = [];
    } else {
      const field = /^(?:repeated\s+|optional\s+)?[\w.]+\s+(\w+)\s*=\s*\d+/.exec(line);
      if (message && field && pending.length) message.set(field[1], pending.join(' '));
      pending = [];
    }
  }
  return out;
}

export function fieldComments(messageName: string): Map<string, string> {
  if (!cache) {
    try {
      cache = parseFieldComments(readFileSync(join(PROTO_ROOT, PROTO_FILE), 'utf8'));
    } catch {
      cache = new Map();
    }
  }
  return cache.get(messageName) ?? new Map();
}
