import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../test-kit/index.js';

describe('proto', () => {
  it('buf lint passes and the generated code is what proto/ generates', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/check-proto-fresh.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });
});
