// sha256File reuses its read buffers across calls: many files hashed at once, of sizes
// around the buffer's, each get their own digest.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sha256File } from './checksum.js';

describe('sha256File', () => {
  const dir = mkdtempSync(join(tmpdir(), 'checksum-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes files of any size, many at once, each with its own digest', async () => {
    const sizes = [0, 1, 188, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 700_000, 2_000_000];
    const files = Array.from({ length: 24 }, (_, i) => {
      const body = randomBytes(sizes[i % sizes.length]);
      const path = join(dir, `f${i}`);
      writeFileSync(path, body);
      return { path, want: { size: body.length, sha256: createHash('sha256').update(body).digest('hex') } };
    });
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(files.map((f) => sha256File(f.path)));
      assert.deepEqual(got, files.map((f) => f.want));
    }
  });

  it('rejects a missing file', async () => {
    await assert.rejects(sha256File(join(dir, 'missing')), /ENOENT/);
  });
});
