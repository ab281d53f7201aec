import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../../test-kit/index.js';

describe('quick start', () => {
  it('the README gives the two commands and CI runs exactly the test one', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
    assert.match(readme, /^npm start$/m);
    assert.match(readme, /^npm test$/m);
    const ciCommands = ci.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    assert.deepEqual(ciCommands, ['npm test']);
  });

  it('npm start and npm test install what is missing first', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    assert.equal(pkg.scripts.prestart, 'node scripts/bootstrap.mjs');
    assert.equal(pkg.scripts.pretest, 'node scripts/bootstrap.mjs --test');
    for (const banned of ['ffmpeg-static', '@ffmpeg-installer/ffmpeg', 'nats-memory-server']) assert.equal(pkg.dependencies[banned], undefined);
  });
});

describe('documentation', () => {
  it('the README documents every configuration variable', async () => {
    const { CONFIG_KEYS } = await import('../../../libs/config/index.js');
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const k of CONFIG_KEYS) assert.ok(readme.includes(`\`${k.env}\``), `README.md lacks ${k.env}`);
  });
});
