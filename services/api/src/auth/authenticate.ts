import { status, type Metadata } from '@grpc/grpc-js';
import { ApiError } from '../grpc-errors.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';
import { scopeAllows, type Scope } from './scopes.js';

/** The bearer token of a call's `authorization` metadata, or null. */
export function bearerToken(md: Metadata): string | null {
  const v = md.get('authorization')[0];
  if (v === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(v));
  return m ? m[1] : null;
}

/**
 * The caller's key, checked before the request is read at all: a missing or unknown
 * key is UNAUTHENTICATED. The messages never repeat the presented key.
 */
export async function identify(keys: ApiKeyStore, md: Metadata): Promise<ApiKeyRecord> {
  const token = bearerToken(md);
  if (!token) throw new ApiError(status.UNAUTHENTICATED, 'an API key is required (metadata authorization: Bearer <key>)');
  const key = await keys.verify(token);
  if (!key) throw new ApiError(status.UNAUTHENTICATED, 'unknown or revoked API key');
  return key;
}

/** A known key without the method's scope is PERMISSION_DENIED (kept apart from identify so the refusal is audited with the key id). */
export function requireScope(key: ApiKeyRecord, needed: Scope): void {
  if (!scopeAllows(key.scope, needed)) throw new ApiError(status.PERMISSION_DENIED, `API key ${key.id} has scope ${key.scope}; this method needs ${needed}`);
}
