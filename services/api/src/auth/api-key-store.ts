import type { KV } from '@nats-io/kv';
import { BUCKETS, bucket, type Bus } from '../../../../libs/bus/index.js';
import { hashSecret, newKey, parseKey, secretMatches } from './api-key-token.js';
import type { Scope } from './scopes.js';

/** What the bucket holds per key id: never the key, only the hash of its secret. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scope: Scope;
  secretSha256: string;
  createdMs: number;
  createdBy: string;
  revokedMs: number | null;
}

/**
 * API keys in KV `lr_api_keys` (shared by every api replica). Verification reads the
 * bucket on each call, so a revocation applies from the next call on any replica.
 */
export class ApiKeyStore {
  private kv!: KV;

  constructor(private bus: Bus) {}

  async start(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.apiKeys);
  }

  async create(name: string, scope: Scope, createdBy: string): Promise<{ record: ApiKeyRecord; token: string }> {
    const k = newKey();
    const record: ApiKeyRecord = { id: k.id, name, scope, secretSha256: hashSecret(k.secret), createdMs: Date.now(), createdBy, revokedMs: null };
    // create(): a (vanishingly unlikely) id collision fails instead of replacing a key.
    await this.kv.create(k.id, JSON.stringify(record));
    return { record, token: k.token };
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const e = await this.kv.get(id);
    return e && e.operation === 'PUT' ? e.json<ApiKeyRecord>() : null;
  }

  /** The record of a presented token if it is known, not revoked, and its secret matches. */
  async verify(token: string): Promise<ApiKeyRecord | null> {
    const parsed = parseKey(token);
    if (!parsed) return null;
    const record = await this.get(parsed.id);
    if (!record || record.revokedMs !== null) return null;
    return secretMatches(parsed.secret, record.secretSha256) ? record : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const out: ApiKeyRecord[] = [];
    for await (const id of await this.kv.keys()) {
      const r = await this.get(id);
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.createdMs - b.createdMs);
  }

  /** Marks a key revoked (kept for the audit trail); false when there is no such key. */
  async revoke(id: string): Promise<boolean> {
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT') return false;
    const record = e.json<ApiKeyRecord>();
    if (record.revokedMs !== null) return true;
    await this.kv.update(id, JSON.stringify({ ...record, revokedMs: Date.now() }), e.revision);
    return true;
  }
}
