// Rendition leases against a real broker: a renewal that finds the revision moved
// on by its own holder (an earlier renewal whose answer came late, or two rounds
// racing) keeps the lease; one taken by another transcoder is lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUCKETS, bucket, type Bus } from '../../../libs/bus/index.js';
import { startNats, type TestNats } from '../../../test-kit/index.js';
import { RenditionLeases } from '../src/rendition-leases.js';

describe('rendition leases', () => {
  let nats: TestNats;
  let bus: Bus;

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('leases-test');
  });

  after(async () => {
    await nats?.stop();
  });

  it('a renewal racing another renewal by the same holder keeps the lease', async () => {
    const t1 = new RenditionLeases(bus, 't1');
    await t1.open();
    const r0 = await t1.acquire('race');
    assert.ok(r0 !== null);
    // Two rounds renew from the same revision at once: one of them finds it moved on.
    const [a, b] = await Promise.all([t1.renew('race', r0), t1.renew('race', r0)]);
    assert.ok(a !== null && b !== null, `both renewals keep the lease (${a}, ${b})`);
    const kv = await bucket(bus, BUCKETS.transcodeLeases);
    const now = (await kv.get('race'))!;
    assert.equal(now.string(), 't1');
    assert.equal(Math.max(a, b), now.revision, 'the holder knows the current revision');
    // And goes on renewing and releasing from it.
    const next = await t1.renew('race', Math.max(a, b));
    assert.ok(next !== null);
    await t1.release('race', next);
    assert.equal((await kv.get('race'))?.operation, 'DEL');
  });

  it('a lease taken by another transcoder is lost', async () => {
    const t1 = new RenditionLeases(bus, 't1');
    const t2 = new RenditionLeases(bus, 't2');
    await Promise.all([t1.open(), t2.open()]);
    const r0 = (await t1.acquire('taken'))!;
    assert.equal(await t2.acquire('taken'), null, 'held by t1');
    // t1's lease lapsed and t2 took it.
    await t1.release('taken', r0);
    assert.ok((await t2.acquire('taken')) !== null);
    assert.equal(await t1.renew('taken', r0), null);
  });
});
