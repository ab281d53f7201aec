import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressDenied, hostDenied, isConfiguredEndpoint } from './index.js';

const STRICT = { allowLoopback: false, allowPrivate: false, allowHosts: [] };
const DEFAULT = { allowLoopback: true, allowPrivate: false, allowHosts: [] };

describe('outbound policy', () => {
  it('always denies metadata, link-local, multicast, unspecified; loopback and private as configured', () => {
    for (const a of ['169.254.169.254', '::ffff:169.254.169.254', 'fe80::1', '224.0.0.1', 'ff02::1', '0.0.0.0', '::', 'fd00:ec2::254']) {
      assert.ok(addressDenied(a, { allowLoopback: true, allowPrivate: true, allowHosts: [] }), a);
    }
    assert.equal(addressDenied('127.0.0.1', DEFAULT), null);
    assert.ok(addressDenied('127.0.0.1', STRICT));
    assert.ok(addressDenied('::1', STRICT));
    for (const a of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '100.64.0.1', 'fd12::1']) assert.ok(addressDenied(a, DEFAULT), a);
    assert.equal(addressDenied('10.1.2.3', { ...DEFAULT, allowPrivate: true }), null);
    assert.equal(addressDenied('93.184.216.34', STRICT), null);
  });

  it('applies the allow list to names and literals', () => {
    assert.ok(hostDenied('evil.example', { ...DEFAULT, allowHosts: ['hooks.example.com'] }));
    assert.equal(hostDenied('HOOKS.example.com', { ...DEFAULT, allowHosts: ['hooks.example.com'] }), null);
    assert.ok(hostDenied('[::1]', STRICT));
  });

  it('lets a template name only configured storage endpoints', () => {
    assert.ok(isConfiguredEndpoint('http://minio:9000/', ['http://minio:9000']));
    assert.ok(!isConfiguredEndpoint('http://169.254.169.254', ['http://minio:9000']));
    assert.ok(!isConfiguredEndpoint('not a url', ['http://minio:9000']));
  });
});
