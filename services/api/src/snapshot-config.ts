// Validation of snapshot (thumbnail) configurations: pure, so the rules are table-tested.
// Every error names the request field.
import { SNAPSHOT_RESOLUTIONS, type SnapshotConfig, type SnapshotResolution, type StorageTarget } from '../../../libs/bus/index.js';
import { patternProblem } from '../../../libs/naming/index.js';
import { isConfiguredEndpoint } from '../../../libs/outbound/index.js';
import { invalid } from './grpc-errors.js';
import { domainField, shown, templateKeyField } from './request-fields.js';

export const SNAPSHOT_INTERVAL = { min: 1, max: 60, default: 10 } as const;

/** What an object name of a thumbnail may hold: the stream's names, and (sequence objects) the frame's time or number. */
const STREAM_PLACEHOLDERS = ['AppName', 'StreamName', 'DomainName'];
const FRAME_PLACEHOLDERS = ['UnixTimestamp', 'Sequence'];

/** S3 bucket naming rules (the subset every S3-compatible server accepts). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface SnapshotStorageCapabilities {
  s3: boolean;
  /** The storage endpoints a configuration may name (configured ones). */
  endpoints: readonly string[];
}

export interface SnapshotConfigRequest {
  domainName?: string;
  appName?: string;
  timeInterval?: number;
  ossEndpoint?: string;
  ossBucket?: string;
  overwriteOssObject?: string;
  sequenceOssObject?: string;
  resolution?: string;
}

function placeholdersOf(pattern: string): string[] {
  return [...pattern.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

/** An object name pattern; `sequence` ones must vary per thumbnail, `overwrite` ones must not. */
function objectPattern(field: string, value: string | undefined, kind: 'overwrite' | 'sequence'): string {
  const p = (value ?? '').trim().replace(/^\/+/, '');
  if (!p) return '';
  const allowed = kind === 'sequence' ? [...STREAM_PLACEHOLDERS, ...FRAME_PLACEHOLDERS] : STREAM_PLACEHOLDERS;
  const names = placeholdersOf(p);
  const unknown = names.find((n) => !allowed.includes(n));
  if (unknown !== undefined) throw invalid(field, `may only use the placeholders ${allowed.map((n) => `{${n}}`).join(', ')}, got {${unknown.slice(0, 64)}}`);
  const problem = patternProblem(p);
  if (problem) throw invalid(field, `${problem}: ${shown(p)}`);
  if (!p.endsWith('.jpg')) throw invalid(field, `must end with .jpg, got ${shown(p)}`);
  // The configuration applies to every stream of the app: without the stream's name they would all write one object.
  if (!names.includes('StreamName')) throw invalid(field, `needs {StreamName}, or every stream of the app would write the same object: ${shown(p)}`);
  if (kind === 'sequence' && !names.some((n) => FRAME_PLACEHOLDERS.includes(n))) {
    throw invalid(field, 'needs {UnixTimestamp} or {Sequence}, or every thumbnail would overwrite the last (that is overwrite_oss_object)');
  }
  return p;
}

function interval(value: number | undefined): number {
  if (!value) return SNAPSHOT_INTERVAL.default;
  if (!Number.isInteger(value) || value < SNAPSHOT_INTERVAL.min || value > SNAPSHOT_INTERVAL.max) {
    throw invalid('time_interval', `must be ${SNAPSHOT_INTERVAL.min}..${SNAPSHOT_INTERVAL.max} seconds, got ${value}`);
  }
  return value;
}

function resolution(value: string | undefined): SnapshotResolution {
  const v = (value ?? '').trim().toLowerCase() || 'source';
  if (!(SNAPSHOT_RESOLUTIONS as readonly string[]).includes(v)) throw invalid('resolution', `must be one of ${SNAPSHOT_RESOLUTIONS.join(', ')}, got ${shown(value ?? '')}`);
  return v as SnapshotResolution;
}

function storage(req: SnapshotConfigRequest, caps: SnapshotStorageCapabilities): StorageTarget {
  const bucket = (req.ossBucket ?? '').trim();
  const endpoint = (req.ossEndpoint ?? '').trim();
  if ((bucket || endpoint) && !caps.s3) throw invalid(bucket ? 'oss_bucket' : 'oss_endpoint', 'no S3-compatible object storage is configured in this deployment; leave oss_bucket and oss_endpoint empty for local storage');
  if (endpoint && !bucket) throw invalid('oss_bucket', 'is required when oss_endpoint is given');
  if (bucket && !BUCKET_NAME.test(bucket)) throw invalid('oss_bucket', `is not a bucket name (3..63 lower-case letters, digits, . and -): ${shown(bucket)}`);
  // The server signs requests to the endpoint with its own credentials: configured endpoints only.
  if (endpoint && !isConfiguredEndpoint(endpoint, caps.endpoints)) throw invalid('oss_endpoint', `is not one of the storage endpoints configured in this deployment (LR_S3_ENDPOINT, LR_S3_ENDPOINTS): ${shown(endpoint)}`);
  return bucket ? { kind: 's3', bucket, endpoint } : { kind: 'local', bucket: '', endpoint: '' };
}

/** The (domain, app) a request names; app may be "*". */
export function snapshotKey(req: { domainName?: string; appName?: string }): { domain: string; app: string } {
  return { domain: domainField('domain_name', req.domainName), app: templateKeyField('app_name', req.appName) };
}

export function validateSnapshotConfig(req: SnapshotConfigRequest, caps: SnapshotStorageCapabilities, nowMs: number): SnapshotConfig {
  const { domain, app } = snapshotKey(req);
  const intervalSeconds = interval(req.timeInterval);
  const overwriteObject = objectPattern('overwrite_oss_object', req.overwriteOssObject, 'overwrite');
  const sequenceObject = objectPattern('sequence_oss_object', req.sequenceOssObject, 'sequence');
  if (!overwriteObject && !sequenceObject) throw invalid('sequence_oss_object', 'at least one of overwrite_oss_object and sequence_oss_object is required');
  return { domain, app, intervalSeconds, resolution: resolution(req.resolution), storage: storage(req, caps), overwriteObject, sequenceObject, createdMs: nowMs };
}
