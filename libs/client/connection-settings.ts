// Where the API is and which key to present, from explicit values, the environment or
// the deployment's data directory: the CLI, the console and users' programs resolve
// them the same way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_SERVER = '127.0.0.1:50051';
export const DEFAULT_DATA_DIR = './data';
/** File under the data directory that holds the administrator's API key. */
export const ADMIN_KEY_FILE = 'admin.key';

export interface ConnectionInputs {
  server?: string;
  key?: string;
  dataDir?: string;
}

export interface ConnectionSettings {
  server: string;
  /** Absent when no key is configured anywhere. */
  apiKey?: string;
  /** Where the key came from, for diagnostics (never the key itself). */
  keySource: 'flag' | 'env' | 'file' | 'none';
}

type Env = Record<string, string | undefined>;

/** An empty variable counts as unset, so `LIVERECORD_API_KEY= cmd` turns a key off. */
function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function readKeyFile(path: string): string | undefined {
  try {
    return nonEmpty(readFileSync(path, 'utf8'));
  } catch (err) {
    // Absent is the normal case; anything else (permissions) the caller should hear about.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the API key file ${path}: ${(err as Error).message}`);
  }
}

/**
 * Server: explicit, then LIVERECORD_SERVER, then 127.0.0.1:50051.
 * Key: explicit, then LIVERECORD_API_KEY, then {dataDir}/admin.key when it exists
 * (dataDir: explicit, then LR_DATA_DIR, then ./data, as the server resolves it).
 */
export function resolveConnection(inputs: ConnectionInputs = {}, env: Env = process.env): ConnectionSettings {
  const server = nonEmpty(inputs.server) ?? nonEmpty(env.LIVERECORD_SERVER) ?? DEFAULT_SERVER;
  const flagKey = nonEmpty(inputs.key);
  if (flagKey) return { server, apiKey: flagKey, keySource: 'flag' };
  const envKey = nonEmpty(env.LIVERECORD_API_KEY);
  if (envKey) return { server, apiKey: envKey, keySource: 'env' };
  const dataDir = nonEmpty(inputs.dataDir) ?? nonEmpty(env.LR_DATA_DIR) ?? DEFAULT_DATA_DIR;
  const fileKey = readKeyFile(join(dataDir, ADMIN_KEY_FILE));
  if (fileKey) return { server, apiKey: fileKey, keySource: 'file' };
  return { server, keySource: 'none' };
}
