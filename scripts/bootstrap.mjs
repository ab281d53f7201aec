#!/usr/bin/env node
// Installs what `npm start` and `npm test` need and is missing: npm dependencies,
// and Debian's ffmpeg and nats-server, for the tests also postgresql and chromium
// (only as root; otherwise it says what to run).
// Plain Node with no dependencies, so it can run before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.error(`[bootstrap] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    say(`failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  say(`Node.js ${process.versions.node} is too old: liverecord needs Node.js 20.6 or newer.`);
  process.exit(1);
}

// npm dependencies: install when missing or when the lock file changed since the last install.
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  say('installing npm dependencies (npm ci)...');
  // Native addons (better-sqlite3) build from source: nothing downloads prebuilt binaries.
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, npm_config_build_from_source: 'true' } });
}

const has = (bin, arg) => spawnSync(bin, [arg], { stdio: 'ignore' }).status === 0;
const packages = [];
if (!has('ffmpeg', '-version') || !has('ffprobe', '-version')) packages.push('ffmpeg');
if (!has('nats-server', '--version')) packages.push('nats-server');
// The tests of the PostgreSQL catalogue start a throwaway cluster of their own.
const forTests = process.argv.includes('--test');
const hasPostgres = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')));
if (forTests && !hasPostgres) packages.push('postgresql');
// The web console's test drives Debian's Chromium (playwright-core downloads no browser).
if (forTests && !existsSync('/usr/bin/chromium')) packages.push('chromium');
if (packages.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get', '--version')) {
    say(`missing system packages: ${packages.join(' ')}.`);
    say(`install them with: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  }
  say(`installing Debian packages: ${packages.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
}

// npm start runs the compiled JavaScript: compile when a source changed.
if (!forTests) run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
