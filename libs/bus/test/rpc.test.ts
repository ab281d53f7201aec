// Request/reply against a real broker whose max_payload is 64 KiB, so that
// every answer of a few hundred KiB has to travel in parts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RpcFailure, call, connectBus, isNoResponders, request, serve, type Bus } from '../index.js';
import { startNatsServer, type NatsServerProcess } from '../../runtime/index.js';
import { componentLogger } from '../../telemetry/index.js';
import { freePort, tempDir } from '../../../test-kit/index.js';

const MAX_PAYLOAD = 64 * 1024;
const log = componentLogger('rpc-test');

describe('rpc over a broker with small messages', () => {
  let nats: NatsServerProcess;
  let server: Bus;
  let client: Bus;
  const stops: { stop(): void }[] = [];

  before(async () => {
    nats = await startNatsServer({ port: await freePort(), storeDir: tempDir('rpc-nats'), maxPayloadBytes: MAX_PAYLOAD });
    server = await connectBus({ url: nats.url, name: 'rpc-server', leaseTtlMs: 10000 });
    client = await connectBus({ url: nats.url, name: 'rpc-client', leaseTtlMs: 10000 });
    assert.equal(client.nc.info?.max_payload, MAX_PAYLOAD);
    stops.push(
      serve<{ n: number }, { items: string[] }>(server, 'test.rpc.big', 'test', log, async ({ n }) => ({ items: Array.from({ length: n }, (_, i) => `item-${i}-${'x'.repeat(90)}`) })),
      serve<object, never>(server, 'test.rpc.broken', 'test', log, async () => {
        throw new Error('the handler broke');
      }),
      serve<object, never>(server, 'test.rpc.refuses', 'test', log, async () => {
        throw new RpcFailure({ code: 'not_found', message: 'record_id x not found' });
      }),
      serve<object, string>(server, 'test.rpc.slow', 'test', log, () => new Promise((r) => setTimeout(() => r('late'), 2000))),
    );
    const plain = server.nc.subscribe('test.rpc.plain', { callback: (_err, msg) => void msg.respond(JSON.stringify({ hello: 'world' })) });
    stops.push({ stop: () => plain.unsubscribe() });
    await server.nc.flush();
  });

  after(async () => {
    for (const s of stops) s.stop();
    await client?.close();
    await server?.close();
    await nats?.stop();
  });

  it('joins an answer many times larger than one message', async () => {
    const r = await call<{ n: number }, { items: string[] }>(client, 'test.rpc.big', { n: 10000 });
    assert.equal(r.items.length, 10000);
    assert.equal(r.items[9999], `item-9999-${'x'.repeat(90)}`);
    assert.ok(JSON.stringify(r).length > 10 * MAX_PAYLOAD);
  });

  it('still answers small requests in one message, and plain responders', async () => {
    assert.equal((await call<{ n: number }, { items: string[] }>(client, 'test.rpc.big', { n: 1 })).items.length, 1);
    assert.deepEqual(await request(client, 'test.rpc.plain', {}), { hello: 'world' });
  });

  it('turns a failing handler into an internal error and a refusal into its code', async () => {
    await assert.rejects(call(client, 'test.rpc.broken', {}), (e: unknown) => e instanceof RpcFailure && e.error.code === 'internal' && /the handler broke/.test(e.message));
    await assert.rejects(call(client, 'test.rpc.refuses', {}), (e: unknown) => e instanceof RpcFailure && e.error.code === 'not_found');
  });

  it('answers a request that is not JSON with invalid_argument', async () => {
    const msg = await client.nc.request('test.rpc.big', 'not json {', { timeout: 5000 });
    const reply = msg.json<{ ok: boolean; error: { code: string } }>();
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'invalid_argument');
  });

  it('refuses a request larger than a message with a clear error instead of throwing from the client', async () => {
    await assert.rejects(call(client, 'test.rpc.big', { n: 1, pad: 'p'.repeat(MAX_PAYLOAD) }), (e: unknown) => e instanceof RpcFailure && e.error.code === 'invalid_argument' && /message limit/.test(e.message));
  });

  it('tells no responders and timeouts apart', async () => {
    await assert.rejects(call(client, 'test.rpc.nobody', {}), (e: unknown) => isNoResponders(e));
    await assert.rejects(call(client, 'test.rpc.slow', {}, 300), (e: unknown) => /timeout/.test((e as Error).message) && !isNoResponders(e));
  });
});
