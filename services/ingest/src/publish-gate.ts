import type { Config } from '../../../libs/config/index.js';
import { isTrustedAddress, verifyAuthKey, type PublishKeys } from '../../../libs/publish-auth/index.js';

export type GateVerdict = { ok: true; how: 'signed' | 'trusted' | 'open' } | { ok: false; reason: string };

export interface GateRequest {
  kind: 'publish' | 'play';
  domain: string;
  app: string;
  stream: string;
  /** node-media-server's "addr:port" of the client. */
  ip: string;
  query: Record<string, string | string[]>;
}

/**
 * Who may publish (or play) what. Signed type-A URLs with the domain's primary or
 * secondary key; unsigned only from a trusted (loopback by default) address to the
 * default domain, so the quick start's local push works; RTMP play off unless enabled.
 */
export class PublishGate {
  constructor(private config: Config, private keys: PublishKeys) {}

  decide(r: GateRequest, nowSec = Math.floor(Date.now() / 1000)): GateVerdict {
    if (r.kind === 'play' && !this.config.ingest.rtmpPlay) return { ok: false, reason: 'play_disabled' };
    if (!this.config.publishAuth.enabled) return { ok: true, how: 'open' };
    const authKey = r.query.auth_key;
    if (Array.isArray(authKey)) return { ok: false, reason: 'malformed' };
    if (authKey === undefined && r.domain === this.config.domains.default && isTrustedAddress(r.ip, this.config.publishAuth.trustedAddresses)) {
      return { ok: true, how: 'trusted' };
    }
    const v = verifyAuthKey(r.app, r.stream, authKey, this.keys.current(r.domain), nowSec);
    return v.ok ? { ok: true, how: 'signed' } : { ok: false, reason: v.reason };
  }
}
