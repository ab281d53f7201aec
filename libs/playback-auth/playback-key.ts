import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PLAYBACK_KEY_FILE = 'playback.key';

/**
 * The HMAC key of playback URLs: configured (LR_PLAYBACK_SIGNING_KEY), else the one
 * generated into {dataDir}/playback.key at first start (mode 0600). Every process
 * that signs or checks URLs must see the same key: in a cluster, configure it.
 */
export function playbackSigningKey(configured: string, dataDir: string): { key: string; source: 'config' | 'file' | 'generated'; file: string } {
  const file = join(dataDir, PLAYBACK_KEY_FILE);
  if (configured) return { key: configured, source: 'config', file };
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return { key: existing, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process of this data directory wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: readFileSync(file, 'utf8').trim(), source: 'file', file };
    throw err;
  }
  return { key, source: 'generated', file };
}
