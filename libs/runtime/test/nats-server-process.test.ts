import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { EMBEDDED_MAX_PAYLOAD, startNatsServer } from '../index.js';
import { freePort, tempDir } from '../../../test-kit/index.js';

describe('the embedded nats-server', () => {
  it('allows 8 MB messages and is started again after it dies', async () => {
    let restarted!: (r: { ok: boolean }) => void;
    const restart = new Promise<{ ok: boolean }>((r) => (restarted = r));
    const nats = await startNatsServer({ port: await freePort(), storeDir: tempDir('nats-restart'), restart: true, onRestart: (r) => restarted(r) });
    try {
      const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      try {
        assert.equal(nc.info?.max_payload, EMBEDDED_MAX_PAYLOAD);
        const reconnected = (async () => {
          for await (const s of nc.status()) if (s.type === 'reconnect') return;
        })();
        const first = nats.child.pid;
        nats.child.kill('SIGKILL');
        assert.equal((await restart).ok, true);
        assert.notEqual(nats.child.pid, first);
        assert.equal(nats.restarts, 1);
        // The client finds the new broker on its own.
        await reconnected;
        nc.subscribe('ping', { max: 1, callback: (_e, m) => void m.respond('pong') });
        assert.equal((await nc.request('ping', '', { timeout: 10000 })).string(), 'pong');
      } finally {
        await nc.close();
      }
    } finally {
      await nats.stop();
    }
    assert.notEqual(nats.child.exitCode ?? nats.child.signalCode, null, 'stopped, and not started again');
  });
});
