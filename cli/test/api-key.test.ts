// The CLI presents the API key from --key, LIVERECORD_API_KEY or {data dir}/admin.key
// as `authorization: Bearer <key>` (checked on a fake server here; cli.test.ts runs it against the real API, which checks it).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeServer, type FakeServer } from '../../libs/client/test/fake-server.js';
import { cleanEnv, runCli } from './run-cli.js';

describe('liverecord API key', () => {
  let server: FakeServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'lr-cli-key-'));
  writeFileSync(join(dataDir, 'admin.key'), 'file-key\n');

  before(async () => {
    server = await startFakeServer();
  });
  after(async () => {
    await server?.stop();
  });

  const sentKey = async (args: string[], env: Record<string, string>) => {
    const before = server.calls.length;
    const r = await runCli(['describe-live-record-config', '--domain-name', 'example.com', ...args], { env: cleanEnv(env) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.calls.length, before + 1);
    return server.calls.at(-1)!.metadata.get('authorization');
  };

  it('prefers --key, then LIVERECORD_API_KEY, then admin.key in --data-dir or LR_DATA_DIR', async () => {
    const env = { LIVERECORD_SERVER: server.address };
    assert.deepEqual(await sentKey(['--key', 'flag-key', '--data-dir', dataDir], { ...env, LIVERECORD_API_KEY: 'env-key' }), ['Bearer flag-key']);
    assert.deepEqual(await sentKey(['--data-dir', dataDir], { ...env, LIVERECORD_API_KEY: 'env-key' }), ['Bearer env-key']);
    assert.deepEqual(await sentKey(['--data-dir', dataDir], env), ['Bearer file-key']);
    assert.deepEqual(await sentKey([], { ...env, LR_DATA_DIR: dataDir }), ['Bearer file-key']);
    assert.deepEqual(await sentKey(['--data-dir', join(dataDir, 'missing')], env), []);
  });
});
