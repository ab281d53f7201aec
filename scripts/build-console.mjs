#!/usr/bin/env node
// Builds the web console (console/) into dist/console-app, which the api serves at
// /console: type-checks it with its own tsconfig (DOM, JSX), bundles it with esbuild
// (Preact and hls.js included: nothing is fetched from a CDN at run time), and copies
// the page and its stylesheet. Rebuilds only when a console source or the lock file
// changed since the last build (--force: always). Run by scripts/build.mjs (npm start,
// npm run build) and by the console's test.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'console');
const out = join(root, 'dist', 'console-app');
const stamp = join(out, '.built');
const say = (msg) => console.error(`[build-console] ${msg}`);

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

export async function buildConsole({ force = false } = {}) {
  const sources = Math.max(newest(source), statSync(join(root, 'package-lock.json')).mtimeMs);
  if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  say('type-checking and bundling the web console ...');
  const tscBin = join(root, 'node_modules/typescript/bin/tsc');
  if (existsSync(tscBin)) {
    const tsc = spawnSync(process.execPath, [tscBin, '-p', join(source, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the web console does not type-check');
  } else {
    // An install without devDependencies (a container image) still gets its console; CI and dev installs check it.
    say('TypeScript is not installed (npm ci --omit=dev): bundling without the type check');
  }
  const { build } = await import('esbuild');
  // Built beside the served directory and swapped in whole, so a running api never serves half a build;
  // per process, so two builds at once (npm start beside a test run) do not write into one directory.
  const next = `${out}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  await build({
    entryPoints: [join(source, 'src', 'main.tsx')],
    outfile: join(next, 'app.js'),
    bundle: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  copyFileSync(join(source, 'index.html'), join(next, 'index.html'));
  copyFileSync(join(source, 'styles.css'), join(next, 'app.css'));
  writeFileSync(join(next, '.built'), `${new Date().toISOString()}\n`);
  rmSync(out, { recursive: true, force: true });
  try {
    renameSync(next, out);
  } catch (err) {
    // Another build swapped its output in between: it is built from the same sources, so it stays.
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    rmSync(next, { recursive: true, force: true });
    say(`another build finished first: kept ${out}`);
    return;
  }
  say(`built ${out}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildConsole({ force: process.argv.includes('--force') }).catch((err) => {
    say(err.message);
    process.exit(1);
  });
}
