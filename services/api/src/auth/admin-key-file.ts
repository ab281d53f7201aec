import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../../../libs/telemetry/index.js';
import type { ApiKeyStore } from './api-key-store.js';

/**
 * First start: an admin key is created and written to `path` (mode 0600, the key
 * only) for the operator and the CLI to read. An existing file is left alone: the
 * key in it may have been revoked on purpose, and must not come back by a restart.
 * The log says where the key is, never the key.
 */
export async function ensureAdminKeyFile(keys: ApiKeyStore, path: string, log: Logger): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  const { record, token } = await keys.create('bootstrap admin', 'admin', 'bootstrap');
  // 'wx': another api replica sharing the data directory that got there first keeps its key.
  try {
    writeFileSync(path, token, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await keys.revoke(record.id);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  log.info({ keyId: record.id, file: path }, 'created the admin API key; the CLI reads it from this file');
}
