import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from './index.js';

describe('config', () => {
  it('defaults match the documented embedded mode', () => {
    const c = loadConfig({});
    assert.equal(c.ingest.rtmpPort, 1935);
    assert.equal(c.api.grpcPort, 50051);
    assert.equal(c.api.httpPort, 8080);
    assert.equal(c.domains.default, 'localhost');
    assert.deepEqual(c.defaultTemplate.formats, ['m3u8']);
    assert.equal(c.defaultTemplate.sliceSeconds, 30);
    assert.equal(c.defaultTemplate.cycleSeconds, 180 * 60);
    assert.ok(c.storage.root.endsWith('/data/storage'));
    assert.equal(c.logFormat, 'auto', 'pretty on a terminal, JSON otherwise');
    assert.equal(c.api.usageRefreshSeconds, 30);
  });

  it('environment overrides the file, which overrides defaults', () => {
    const file = join(tmpdir(), `lr-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ api: { grpcPort: 6000, httpPort: 7000 }, domains: { aliases: { 'push.example.com': 'example.com' } } }));
    const c = loadConfig({ LR_CONFIG: file, LR_GRPC_PORT: '6001' });
    assert.equal(c.api.grpcPort, 6001);
    assert.equal(c.api.httpPort, 7000);
    assert.deepEqual(c.domains.aliases, { 'push.example.com': 'example.com' });
  });

  const errors: [Record<string, string>, RegExp][] = [
    [{ LR_RTMP_PORT: 'abc' }, /ingest\.rtmpPort.*LR_RTMP_PORT.*integer/],
    [{ LR_HTTP_PORT: '70000' }, /api\.httpPort.*<= 65535/],
    [{ LR_LOG_LEVEL: 'loud' }, /logLevel.*one of/],
    [{ LR_LOG_FORMAT: 'fancy' }, /logFormat \(from environment LR_LOG_FORMAT\): must be one of auto, pretty, json/],
    [{ LR_USAGE_METRICS_REFRESH_SECONDS: '0' }, /api\.usageRefreshSeconds.*>= 1/],
    [{ LR_RELAXED_LIMITS: 'maybe' }, /limits\.relaxed.*true or false/],
    [{ LR_DOMAIN_ALIASES: 'nohost' }, /domains\.aliases.*host=domain/],
    [{ LR_CATALOGUE_DRIVER: 'postgres' }, /catalogue\.postgresUrl.*required/],
  ];
  for (const [env, want] of errors) {
    it(`names the key: ${Object.keys(env)[0]}=${Object.values(env)[0]}`, () => {
      assert.throws(() => loadConfig(env), (err: Error) => err instanceof ConfigError && want.test(err.message));
    });
  }

  it('masks secrets for logs', () => {
    const c = loadConfig({ LR_CATALOGUE_DRIVER: 'postgres', LR_POSTGRES_URL: 'postgres://u:hunter2pw@h/db', LR_S3_ENDPOINT: 'http://s3', LR_S3_ACCESS_KEY_ID: 'AKIDVALUE', LR_S3_SECRET_ACCESS_KEY: 'topsecretvalue' });
    const shown = JSON.stringify(redactConfig(c));
    assert.doesNotMatch(shown, /hunter2pw|AKIDVALUE|topsecretvalue/);
    assert.match(shown, /"secretAccessKey":"\*\*\*"/);
  });
});
