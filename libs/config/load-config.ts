import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { CONFIG_KEYS, type KeySpec } from './config-keys.js';

export class ConfigError extends Error {
  constructor(readonly key: string, readonly source: string, message: string) {
    super(`config ${key} (from ${source}): ${message}`);
    this.name = 'ConfigError';
  }
}

export interface Config {
  dataDir: string;
  bind: string;
  logLevel: string;
  logFormat: 'auto' | 'pretty' | 'json';
  telemetry: { otlpEndpoint: string };
  nats: { url: string | null; port: number; replicas: number };
  ingest: { rtmpPort: number; nodeId: string; codecWaitMs: number; rtmpPlay: boolean };
  api: { tlsCertFile: string; tlsKeyFile: string; grpcPort: number; httpPort: number; publicBaseUrl: string; adminKeyFile: string; opsBind: string; opsPort: number; usageRefreshSeconds: number };
  publishAuth: { enabled: boolean; keys: Record<string, string>; trustedAddresses: string[] };
  playback: { auth: boolean; signingKey: string; urlTtlSeconds: number };
  outbound: { allowLoopback: boolean; allowPrivate: boolean; allowHosts: string[] };
  domains: { default: string; aliases: Record<string, string> };
  defaultTemplate: { bucket: string; enabled: boolean; formats: string[]; sliceSeconds: number; cycleSeconds: number; delaySeconds: number };
  limits: { relaxed: boolean };
  matcher: { onDemandTimeoutMs: number; onDemandFallback: 'skip' | 'record' };
  embedded: { services: string[] };
  notifier: { timeoutMs: number; maxAttempts: number; firstBackoffMs: number; maxBackoffMs: number };
  library: { jobAckWaitMs: number };
  storage: { root: string; endpoints: string[]; s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean; partSizeBytes: number } };
  spool: { dir: string; maxBytes: number };
  retention: { fileDays: number; segmentDays: number; domains: Record<string, string>; deleteObjects: boolean; sweepSeconds: number };
  catalogue: { driver: 'sqlite' | 'postgres'; sqlitePath: string; postgresUrl: string };
  recorder: { workerId: string; leaseTtlMs: number; shutdown: 'finalize' | 'handover' };
  media: MediaPlaneConfig;
}

export interface MediaPlaneConfig {
  maxAgeSeconds: number;
  maxBytes: number;
  storage: 'file' | 'memory';
  batchMs: number;
}

type Raw = string | number | boolean | string[] | Record<string, string> | null | undefined;

function parseValue(spec: KeySpec, raw: Raw, source: string): unknown {
  const fail = (msg: string) => new ConfigError(spec.key, source, msg);
  if (raw === null || raw === undefined) return spec.default;
  switch (spec.type) {
    case 'string': {
      const s = String(raw);
      if (spec.oneOf && !spec.oneOf.includes(s)) throw fail(`must be one of ${spec.oneOf.join(', ')}, got "${s}"`);
      return s;
    }
    case 'port':
    case 'int': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n)) throw fail(`must be an integer, got "${String(raw)}"`);
      const min = spec.type === 'port' ? 0 : spec.min;
      const max = spec.type === 'port' ? 65535 : spec.max;
      if (min !== undefined && n < min) throw fail(`must be >= ${min}, got ${n}`);
      if (max !== undefined && n > max) throw fail(`must be <= ${max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
      throw fail(`must be true or false, got "${String(raw)}"`);
    }
    case 'list': {
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw).split(',').map((s) => s.trim()).filter(Boolean);
    }
    case 'map': {
      if (typeof raw === 'object' && !Array.isArray(raw)) return { ...raw };
      const out: Record<string, string> = {};
      for (const pair of String(raw).split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0 || eq === pair.length - 1) throw fail(`expected host=domain pairs, got "${pair}"`);
        out[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
      }
      return out;
    }
  }
}

function readDotted(obj: unknown, key: string): Raw {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur as Raw;
}

function setDotted(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

/**
 * Builds the configuration once: defaults, then the JSON file named by LR_CONFIG,
 * then LR_* environment variables. Every error names the key and where the value came from.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, Raw> = {}): Config {
  let file: unknown = {};
  if (env.LR_CONFIG) {
    try {
      file = JSON.parse(readFileSync(env.LR_CONFIG, 'utf8'));
    } catch (err) {
      throw new ConfigError('LR_CONFIG', 'environment', `cannot read ${env.LR_CONFIG}: ${(err as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  const known = new Set(CONFIG_KEYS.map((k) => k.key));
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) throw new ConfigError(key, 'override', 'unknown configuration key');
  }
  for (const spec of CONFIG_KEYS) {
    let value = parseValue(spec, readDotted(file, spec.key), env.LR_CONFIG ?? 'defaults');
    if (env[spec.env] !== undefined) value = parseValue(spec, env[spec.env], `environment ${spec.env}`);
    if (overrides[spec.key] !== undefined) value = parseValue(spec, overrides[spec.key], 'override');
    setDotted(out, spec.key, value);
  }
  const config = out as unknown as Config;
  config.dataDir = resolve(config.dataDir);
  config.storage.root = resolve(config.storage.root || `${config.dataDir}/storage`);
  config.spool.dir = resolve(config.spool.dir || `${config.dataDir}/spool`);
  config.catalogue.sqlitePath ||= `${config.dataDir}/catalogue.sqlite`;
  config.api.adminKeyFile = resolve(config.api.adminKeyFile || `${config.dataDir}/admin.key`);
  config.api.publicBaseUrl ||= `http://localhost:${config.api.httpPort}/`;
  if (!config.api.publicBaseUrl.endsWith('/')) config.api.publicBaseUrl += '/';
  config.ingest.nodeId ||= hostname();
  config.recorder.workerId ||= `${hostname()}-${process.pid}`;
  config.nats.url ||= null;
  for (const [domain, spec] of Object.entries(config.retention.domains)) {
    if (!/^\d+:\d+$/.test(spec)) throw new ConfigError('retention.domains', 'LR_RETENTION_DOMAINS', `"${domain}=${spec}" must be domain=fileDays:segmentDays`);
  }
  if (config.defaultTemplate.bucket && !config.storage.s3.endpoint) {
    throw new ConfigError('defaultTemplate.bucket', 'LR_DEFAULT_TEMPLATE_BUCKET', 'needs an S3 endpoint (LR_S3_ENDPOINT)');
  }
  // A takeover replays the open segment from the media plane: it must still hold it by then.
  const minAge = Math.ceil((2 * config.recorder.leaseTtlMs) / 1000);
  if (config.media.maxAgeSeconds < minAge) {
    throw new ConfigError('media.maxAgeSeconds', 'LR_MEDIA_MAX_AGE_SECONDS', `must be at least twice the lease TTL (${minAge} s) so that a takeover can replay what the lost worker had not stored`);
  }
  if (!!config.api.tlsCertFile !== !!config.api.tlsKeyFile) {
    throw new ConfigError(config.api.tlsCertFile ? 'api.tlsKeyFile' : 'api.tlsCertFile', config.api.tlsCertFile ? 'LR_TLS_KEY_FILE' : 'LR_TLS_CERT_FILE', 'TLS needs both a certificate and its key');
  }
  if (config.catalogue.driver === 'postgres' && !config.catalogue.postgresUrl) {
    throw new ConfigError('catalogue.postgresUrl', 'environment LR_POSTGRES_URL', 'required when catalogue.driver is postgres');
  }
  return config;
}

/** The configuration with secrets masked, for logs. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const spec of CONFIG_KEYS) {
    if (spec.secret && readDotted(copy, spec.key)) setDotted(copy, spec.key, '***');
  }
  return copy;
}
