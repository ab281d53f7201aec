// The typed client against a fake server: every method is a promise, partial requests
// are completed, the API key travels as a bearer token, failures carry their status.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { LiveRecordServiceService } from '../../proto/index.js';
import { createLiveRecordClient, LiveRecordError, METHOD_NAMES, resolveConnection, rpcName } from '../index.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

describe('resolveConnection', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lr-client-'));
  writeFileSync(join(dataDir, 'admin.key'), 'file-key\n');

  it('takes the server from the value, then LIVERECORD_SERVER, then the default', () => {
    assert.equal(resolveConnection({ server: 'a:1' }, { LIVERECORD_SERVER: 'b:2' }).server, 'a:1');
    assert.equal(resolveConnection({}, { LIVERECORD_SERVER: 'b:2' }).server, 'b:2');
    assert.equal(resolveConnection({}, { LIVERECORD_SERVER: '' }).server, '127.0.0.1:50051');
  });

  it('takes the key from the value, then LIVERECORD_API_KEY, then {dataDir}/admin.key', () => {
    assert.deepEqual(resolveConnection({ key: 'flag-key', dataDir }, { LIVERECORD_API_KEY: 'env-key' }), { server: '127.0.0.1:50051', apiKey: 'flag-key', keySource: 'flag' });
    assert.equal(resolveConnection({ dataDir }, { LIVERECORD_API_KEY: 'env-key' }).apiKey, 'env-key');
    assert.deepEqual(resolveConnection({ dataDir }, {}), { server: '127.0.0.1:50051', apiKey: 'file-key', keySource: 'file' });
    assert.equal(resolveConnection({}, { LR_DATA_DIR: dataDir }).apiKey, 'file-key', 'LR_DATA_DIR names the data directory');
    assert.equal(resolveConnection({ dataDir }, { LIVERECORD_API_KEY: ' ' }).apiKey, 'file-key', 'an empty variable is unset');
    assert.deepEqual(resolveConnection({ dataDir: join(dataDir, 'none') }, {}), { server: '127.0.0.1:50051', keySource: 'none' });
  });
});

describe('createLiveRecordClient', () => {
  let server: FakeServer;
  before(async () => {
    server = await startFakeServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('has a promise-returning method for every method of the service', async () => {
    assert.deepEqual(METHOD_NAMES, Object.keys(LiveRecordServiceService));
    const client = createLiveRecordClient({ address: server.address });
    try {
      for (const m of METHOD_NAMES) {
        assert.equal(typeof client[m], 'function', m);
        await client[m]();
      }
      assert.deepEqual(server.calls.map((c) => c.method), METHOD_NAMES);
    } finally {
      client.close();
    }
  });

  it('completes a partial request and sends the key as a bearer token', async () => {
    const client = createLiveRecordClient({ address: server.address, apiKey: 'k-123' });
    try {
      await client.addLiveAppRecordConfig({ domainName: 'example.com', recordFormat: [{ format: 'm3u8' }] });
      const call = server.calls.at(-1)!;
      assert.deepEqual(call.metadata.get('authorization'), ['Bearer k-123']);
      const req = call.request as { domainName: string; appName: string; recordFormat: { format: string; sliceDuration: number }[] };
      assert.equal(req.domainName, 'example.com');
      assert.equal(req.appName, '');
      assert.deepEqual(req.recordFormat.map((f) => [f.format, f.sliceDuration]), [['m3u8', 0]]);
    } finally {
      client.close();
    }
  });

  it('sends no authorization without a key', async () => {
    const client = createLiveRecordClient({ address: server.address });
    try {
      await client.describeLiveRecordNotifyConfig({ domainName: 'example.com' });
      assert.deepEqual(server.calls.at(-1)!.metadata.get('authorization'), []);
    } finally {
      client.close();
    }
  });

  it('rejects with a LiveRecordError carrying the status and the message', async () => {
    server.failWith('realTimeRecordCommand', status.FAILED_PRECONDITION, 'stream is not live');
    const client = createLiveRecordClient({ address: server.address });
    try {
      await assert.rejects(client.realTimeRecordCommand({ command: 'stop' }), (err: unknown) => {
        assert.ok(err instanceof LiveRecordError);
        assert.equal(err.code, status.FAILED_PRECONDITION);
        assert.equal(err.codeName, 'FAILED_PRECONDITION');
        assert.equal(err.method, rpcName('realTimeRecordCommand'));
        assert.equal(err.message, 'FAILED_PRECONDITION: stream is not live');
        return true;
      });
    } finally {
      client.close();
    }
  });

  it('fails with UNAVAILABLE when nothing listens', async () => {
    const client = createLiveRecordClient({ address: '127.0.0.1:1', timeoutMs: 5000 });
    try {
      await assert.rejects(client.describeLiveRecordConfig({}), (err: unknown) => err instanceof LiveRecordError && err.codeName === 'UNAVAILABLE');
    } finally {
      client.close();
    }
  });
});
