import type * as pb from '../../../../libs/proto/index.js';
import type { PublishKeys } from '../../../../libs/publish-auth/index.js';
import type { Logger } from '../../../../libs/telemetry/index.js';
import { invalid, notFound } from '../grpc-errors.js';
import { domainField, formatTime, requireText } from '../request-fields.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';
import { SCOPES, isScope } from './scopes.js';

/** Publish signing keys end up in URLs and MD5 input: printable, no separators, long enough to resist guessing. */
const PUBLISH_KEY = /^[A-Za-z0-9_-]{16,128}$/;

function keyInfo(r: ApiKeyRecord): pb.ApiKeyInfo {
  return { keyId: r.id, name: r.name, scope: r.scope, createTime: formatTime(r.createdMs), revokeTime: r.revokedMs === null ? '' : formatTime(r.revokedMs), createdBy: r.createdBy };
}

function publishKeyField(field: string, value: string | undefined): string {
  const v = (value ?? '').trim();
  if (v && !PUBLISH_KEY.test(v)) throw invalid(field, 'must be 16 to 128 characters of A-Z, a-z, 0-9, _ and - (or empty to clear it)');
  return v;
}

/** API keys and publish signing keys. Secrets go in; only the new API key ever comes out, once. */
export class SecurityHandlers {
  constructor(private keys: ApiKeyStore, private publishKeys: PublishKeys, private publishAuthEnabled: boolean, private log: Logger) {}

  async createKey(req: pb.CreateApiKeyRequest, caller: ApiKeyRecord): Promise<pb.CreateApiKeyResponse> {
    const name = requireText('name', req.name);
    if (name.length > 200) throw invalid('name', 'at most 200 characters');
    if (!isScope(req.scope)) throw invalid('scope', `must be one of ${SCOPES.join(', ')}`);
    const { record, token } = await this.keys.create(name, req.scope, caller.id);
    this.log.info({ keyId: record.id, scope: record.scope, createdBy: caller.id }, 'API key created');
    return { keyInfo: keyInfo(record), apiKey: token };
  }

  async listKeys(): Promise<pb.ListApiKeysResponse> {
    return { apiKeyList: (await this.keys.list()).map(keyInfo) };
  }

  async revokeKey(req: pb.RevokeApiKeyRequest): Promise<pb.RevokeApiKeyResponse> {
    const id = requireText('key_id', req.keyId);
    if (!/^[0-9a-f]{16}$/.test(id)) throw invalid('key_id', 'must be the 16 hexadecimal digits ListApiKeys shows');
    if (!(await this.keys.revoke(id))) throw notFound(`no API key ${id}`);
    this.log.info({ keyId: id }, 'API key revoked');
    return {};
  }

  async setPublishKeys(req: pb.SetPublishAuthKeysRequest): Promise<pb.SetPublishAuthKeysResponse> {
    const domain = domainField('domain_name', req.domainName);
    const primary = publishKeyField('primary_key', req.primaryKey);
    const secondary = publishKeyField('secondary_key', req.secondaryKey);
    if (!primary && secondary) throw invalid('primary_key', 'is required when secondary_key is set');
    await this.publishKeys.set(domain, { primary, secondary });
    this.log.info({ domain, primarySet: !!primary, secondarySet: !!secondary }, 'publish signing keys set');
    return {};
  }

  async describePublishAuth(req: pb.DescribePublishAuthRequest): Promise<pb.DescribePublishAuthResponse> {
    const domain = domainField('domain_name', req.domainName);
    const k = await this.publishKeys.read(domain);
    return { domainName: domain, required: this.publishAuthEnabled, primaryKeySet: !!k.primary, secondaryKeySet: !!k.secondary, source: k.source };
  }
}
