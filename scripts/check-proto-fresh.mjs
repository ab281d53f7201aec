#!/usr/bin/env node
// Fails when libs/proto/gen is not what `buf generate` makes from proto/ (generated code is committed, never edited).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buf = join(root, 'node_modules/.bin/buf');
const work = mkdtempSync(join(tmpdir(), 'lr-proto-'));
cpSync(join(root, 'proto'), join(work, 'proto'), { recursive: true });
cpSync(join(root, 'buf.yaml'), join(work, 'buf.yaml'));
const gen = readFileSync(join(root, 'buf.gen.yaml'), 'utf8').replace('node_modules/ts-proto/protoc-gen-ts_proto', join(root, 'node_modules/ts-proto/protoc-gen-ts_proto'));
writeFileSync(join(work, 'buf.gen.yaml'), gen);

for (const args of [['lint'], ['generate']]) {
  const r = spawnSync(buf, args, { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`buf ${args[0]} failed:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
}

function files(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}
const want = join(work, 'libs/proto/gen');
const have = join(root, 'libs/proto/gen');
const a = files(want).map((f) => relative(want, f)).sort();
const b = files(have).map((f) => relative(have, f)).sort();
let stale = JSON.stringify(a) !== JSON.stringify(b);
for (const f of a) if (!stale && readFileSync(join(want, f), 'utf8') !== readFileSync(join(have, f), 'utf8')) stale = true;
if (stale) {
  console.error('libs/proto/gen is stale: run `npm run proto:gen` and commit the result');
  process.exit(1);
}
console.log('proto: lint clean, generated code fresh');
