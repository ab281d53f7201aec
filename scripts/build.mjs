#!/usr/bin/env node
// Compiles the TypeScript sources to dist/ (npm start runs the compiled JavaScript: no
// runtime transpiler, no esbuild child), then builds the web console into
// dist/console-app (scripts/build-console.mjs). Each rebuilds only when its sources
// changed since its last build. Plain Node with no dependencies beyond the installed
// TypeScript compiler and esbuild.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './build-console.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');
const say = (msg) => console.error(`[build] ${msg}`);

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) t = Math.max(t, newest(p));
    else if (name.endsWith('.ts')) t = Math.max(t, s.mtimeMs);
  }
  return t;
}

const sources = Math.max(...['libs', 'services', 'deploy', 'cli'].map((d) => newest(join(root, d))), statSync(join(root, 'tsconfig.json')).mtimeMs, statSync(join(root, 'tsconfig.build.json')).mtimeMs);
const force = process.argv.includes('--force');
if (force || !existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  say('compiling TypeScript to dist/ ...');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say('compilation failed');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, new Date().toISOString() + '\n');
}
try {
  await buildConsole({ force });
} catch (err) {
  say(`web console build failed: ${err.message}`);
  process.exit(1);
}
