// The watched snapshot configurations on a real nats-server: read at start, followed, and a watch
// that ends by itself is logged and opened again, the copy then matching the bucket (a
// configuration deleted while it was closed is gone, one added is there).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KV } from '@nats-io/kv';
import { componentLogger } from '../../telemetry/index.js';
import { startNats, waitFor, type TestNats } from '../../../test-kit/index.js';
import { bucket, type Bus } from '../connection.js';
import { SnapshotConfigs } from '../snapshot-configs.js';
import { BUCKETS } from '../subjects.js';
import type { SnapshotConfig } from '../thumbnail-payloads.js';

const config = (app: string, intervalSeconds: number): SnapshotConfig => ({
  domain: 'example.com', app, intervalSeconds, resolution: '360p', storage: { kind: 'local', bucket: '', endpoint: '' }, overwriteObject: '', sequenceObject: '{StreamName}/{Sequence}.jpg', createdMs: 0,
});
const keyOf = (app: string) => Buffer.from(`example.com/${app}`).toString('base64url');
const stream = (app: string) => ({ domain: 'example.com', app, stream: 's' });

describe('snapshot configurations (watched KV)', () => {
  let nats: TestNats;
  let bus: Bus;
  let kv: KV;
  const configs: SnapshotConfigs[] = [];

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('snapshot-configs-test');
    kv = await bucket(bus, BUCKETS.snapshotConfigs);
  });
  after(async () => {
    for (const c of configs) c.stop();
    await nats?.stop();
  });

  const started = async () => {
    const c = new SnapshotConfigs(bus, componentLogger('snapshot-configs-test'));
    configs.push(c);
    await c.start();
    return c;
  };

  it('is ready on an empty bucket, then reads the bucket at start and follows it', async () => {
    const empty = await started();
    assert.equal(empty.configFor(stream('live')), null);
    await kv.put(keyOf('live'), JSON.stringify(config('live', 2)));
    await waitFor('a new configuration followed', () => empty.configFor(stream('live'))?.intervalSeconds === 2, 10000, 20);
    const c = await started();
    assert.equal(c.configFor(stream('live'))?.intervalSeconds, 2, 'read before start() resolves');
    await kv.delete(keyOf('live'));
    await waitFor('a deletion followed', () => c.configFor(stream('live')) === null, 10000, 20);
  });

  it('opens a watch that ended again, the copy then matching the bucket', async () => {
    await kv.put(keyOf('a'), JSON.stringify(config('a', 1)));
    await kv.put(keyOf('b'), JSON.stringify(config('b', 1)));
    const c = await started();
    assert.equal(c.opened, 1);
    assert.ok(c.configFor(stream('a')) && c.configFor(stream('b')));
    // The watch ends without stop() (as when its consumer or connection goes).
    (c as unknown as { watch: { stop(): void } }).watch.stop();
    await kv.delete(keyOf('a'));
    await kv.put(keyOf('c'), JSON.stringify(config('c', 3)));
    await waitFor('the watch open again, with what changed meanwhile', () => c.opened === 2 && c.configFor(stream('a')) === null && c.configFor(stream('c'))?.intervalSeconds === 3, 10000, 20);
    assert.ok(c.configFor(stream('b')), 'an unchanged configuration stays');
    await kv.put(keyOf('d'), JSON.stringify(config('d', 4)));
    await waitFor('the new watch follows the bucket', () => c.configFor(stream('d'))?.intervalSeconds === 4, 10000, 20);
  });

  it('stop() ends the watch for good', async () => {
    const c = await started();
    c.stop();
    await kv.put(keyOf('e'), JSON.stringify(config('e', 5)));
    const other = await started();
    assert.equal(other.configFor(stream('e'))?.intervalSeconds, 5);
    assert.equal(c.configFor(stream('e')), null, 'a stopped copy no longer follows the bucket');
    assert.equal(c.opened, 1, 'nor is its watch opened again');
  });
});
