import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiError } from './grpc-errors.js';
import { validateSnapshotConfig, type SnapshotConfigRequest, type SnapshotStorageCapabilities } from './snapshot-config.js';

const LOCAL: SnapshotStorageCapabilities = { s3: false, endpoints: [] };
const S3: SnapshotStorageCapabilities = { s3: true, endpoints: ['http://s3.internal:9000'] };
const base: SnapshotConfigRequest = { domainName: 'Example.com', appName: 'live', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg' };

describe('snapshot configuration validation', () => {
  it('fills the defaults and keeps the patterns', () => {
    const c = validateSnapshotConfig(base, LOCAL, 42);
    assert.deepEqual(c, {
      domain: 'example.com', app: 'live', intervalSeconds: 10, resolution: 'source', storage: { kind: 'local', bucket: '', endpoint: '' },
      overwriteObject: '', sequenceObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg', createdMs: 42,
    });
  });

  const accepted: [string, SnapshotConfigRequest, Partial<ReturnType<typeof validateSnapshotConfig>>, SnapshotStorageCapabilities?][] = [
    ['every app', { appName: '*' }, { app: '*' }],
    ['interval 1', { timeInterval: 1 }, { intervalSeconds: 1 }],
    ['interval 60', { timeInterval: 60 }, { intervalSeconds: 60 }],
    ['tier, any case', { resolution: '720P' }, { resolution: '720p' }],
    ['360p', { resolution: '360p' }, { resolution: '360p' }],
    ['latest only', { sequenceOssObject: '', overwriteOssObject: '{AppName}/{StreamName}.jpg' }, { overwriteObject: '{AppName}/{StreamName}.jpg', sequenceObject: '' }],
    ['sequence number', { sequenceOssObject: 'snap/{DomainName}/{StreamName}-{Sequence}.jpg' }, { sequenceObject: 'snap/{DomainName}/{StreamName}-{Sequence}.jpg' }],
    ['leading slash dropped', { overwriteOssObject: '/{AppName}/{StreamName}.jpg' }, { overwriteObject: '{AppName}/{StreamName}.jpg' }],
    ['bucket', { ossBucket: 'thumbs' }, { storage: { kind: 's3', bucket: 'thumbs', endpoint: '' } }, S3],
    ['configured endpoint', { ossBucket: 'thumbs', ossEndpoint: 'http://s3.internal:9000' }, { storage: { kind: 's3', bucket: 'thumbs', endpoint: 'http://s3.internal:9000' } }, S3],
  ];
  for (const [name, req, expected, caps] of accepted) {
    it(`accepts: ${name}`, () => {
      const c = validateSnapshotConfig({ ...base, ...req }, caps ?? LOCAL, 1);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(c[k as keyof typeof c], v, k);
    });
  }

  const refused: [string, SnapshotConfigRequest, RegExp, SnapshotStorageCapabilities?][] = [
    ['no domain', { domainName: '' }, /^domain_name: is required/],
    ['bad domain', { domainName: 'a b' }, /^domain_name/],
    ['no app', { appName: '' }, /^app_name: is required/],
    ['path as app', { appName: '../x' }, /^app_name/],
    ['interval 0 is the default, 61 is not', { timeInterval: 61 }, /^time_interval: must be 1\.\.60/],
    ['negative interval', { timeInterval: -1 }, /^time_interval/],
    ['unknown tier', { resolution: '1080p' }, /^resolution: must be one of source, 720p, 480p, 360p/],
    ['no object at all', { sequenceOssObject: '', overwriteOssObject: '' }, /^sequence_oss_object: at least one of/],
    ['not a jpg', { sequenceOssObject: 'snap/{StreamName}/{UnixTimestamp}.png' }, /^sequence_oss_object: must end with \.jpg/],
    ['sequence that never varies', { sequenceOssObject: 'snap/{StreamName}.jpg' }, /^sequence_oss_object: needs \{UnixTimestamp\} or \{Sequence\}/],
    ['latest that varies', { overwriteOssObject: 'snap/{StreamName}/{UnixTimestamp}.jpg' }, /^overwrite_oss_object: may only use the placeholders \{AppName\}, \{StreamName\}, \{DomainName\}/],
    ['unknown placeholder', { sequenceOssObject: 'snap/{EscapedStartTime}/{UnixTimestamp}.jpg' }, /^sequence_oss_object: may only use .*got \{EscapedStartTime\}/],
    ['parent folder', { sequenceOssObject: '../{StreamName}/{UnixTimestamp}.jpg' }, /^sequence_oss_object: must be a relative path without empty, \. or \.\. parts/],
    ['parent folder inside', { overwriteOssObject: 'a/../../{StreamName}.jpg' }, /^overwrite_oss_object: must be a relative path/],
    ['empty part', { overwriteOssObject: 'a//{StreamName}.jpg' }, /^overwrite_oss_object: must be a relative path/],
    ['odd characters', { overwriteOssObject: 'a b/{StreamName}.jpg' }, /^overwrite_oss_object: may only contain letters/],
    ['latest without the stream', { sequenceOssObject: '', overwriteOssObject: '{AppName}/latest.jpg' }, /^overwrite_oss_object: needs \{StreamName\}/],
    ['sequence without the stream', { sequenceOssObject: 'snap/{AppName}/{UnixTimestamp}.jpg' }, /^sequence_oss_object: needs \{StreamName\}/],
    ['unbalanced brace', { overwriteOssObject: '{AppName/{StreamName}.jpg' }, /^overwrite_oss_object/],
    ['bucket without S3', { ossBucket: 'thumbs' }, /^oss_bucket: no S3-compatible object storage/],
    ['endpoint without bucket', { ossEndpoint: 'http://s3.internal:9000' }, /^oss_bucket: is required when oss_endpoint/, S3],
    ['bad bucket', { ossBucket: 'Not_A_Bucket' }, /^oss_bucket: is not a bucket name/, S3],
    ['endpoint not configured', { ossBucket: 'thumbs', ossEndpoint: 'http://169.254.169.254' }, /^oss_endpoint: is not one of the storage endpoints/, S3],
  ];
  for (const [name, req, pattern, caps] of refused) {
    it(`refuses: ${name}`, () => {
      assert.throws(() => validateSnapshotConfig({ ...base, ...req }, caps ?? LOCAL, 1), (err: unknown) => {
        assert.ok(err instanceof ApiError, String(err));
        assert.equal(err.code, status.INVALID_ARGUMENT);
        assert.match(err.message, pattern);
        return true;
      });
    });
  }
});
