// /healthz tells the truth: degraded (503, with reasons) while the broker is
// gone or the storage fails, ok again once they are back; the embedded system
// restarts its broker and survives it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type * as grpc from '@grpc/grpc-js';
import { SUBJECTS } from '../../../libs/bus/index.js';
import { DescribeLiveRecordConfigRequest } from '../../../libs/proto/index.js';
import type { StorageHealthReport } from '../../../libs/runtime/index.js';
import { grpcClient, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';
import type { Health } from '../src/health.js';

describe('/healthz', () => {
  let sys: RunningSystem;

  const health = async (): Promise<{ code: number; body: Health }> => {
    const r = await fetch(`http://127.0.0.1:${sys.ports.http}/healthz`);
    return { code: r.status, body: (await r.json()) as Health };
  };
  /** Waits until /healthz answers with this status (and, when degraded, a reason matching `reason`). */
  const healthBecomes = (status: Health['status'], reason?: RegExp) => waitFor(`/healthz ${status}${reason ? ` (${reason})` : ''}`, async () => {
    const h = await health();
    if (h.body.status !== status || h.code !== (status === 'ok' ? 200 : 503)) return null;
    if (reason && !h.body.reasons.some((r) => reason.test(r))) return null;
    return h.body;
  }, 30000, 100);

  before(async () => {
    sys = await startSystem();
  });

  after(async () => {
    await sys?.stop();
  });

  it('is ok on a fresh system', async () => {
    const h = await health();
    assert.equal(h.code, 200);
    assert.deepEqual(h.body, { status: 'ok', reasons: [], nats: 'connected', storage: 'ok' });
  });

  it('is degraded while a storage writer reports its backend failing', async () => {
    let nc: NatsConnection | null = null;
    try {
      nc = await connect({ servers: sys.natsUrl });
      const report = (ok: boolean): StorageHealthReport => ({ reporter: 'storage-uploader@test', target: 's3:http://127.0.0.1:1/bucket', ok, detail: ok ? 'stored again' : 'connect ECONNREFUSED', at: Date.now(), validForMs: 60000 });
      nc.publish(SUBJECTS.storageHealth, JSON.stringify(report(false)));
      const degraded = await healthBecomes('degraded', /storage: s3:.*ECONNREFUSED/);
      assert.equal(degraded.storage, 'failing');
      nc.publish(SUBJECTS.storageHealth, JSON.stringify(report(true)));
      await healthBecomes('ok');
    } finally {
      await nc?.close();
    }
  });

  it('is degraded while the local storage root cannot be written', async () => {
    const away = `${sys.storageRoot}.away`;
    renameSync(sys.storageRoot, away);
    writeFileSync(sys.storageRoot, 'not a directory');
    try {
      await healthBecomes('degraded', /storage: local disk .* not writable/);
    } finally {
      rmSync(sys.storageRoot, { force: true });
      renameSync(away, sys.storageRoot);
    }
    await healthBecomes('ok');
  });

  it('is degraded while the broker is down, and the system starts it again', async () => {
    const pidFile = join(sys.dataDir, 'nats', 'nats-server.pid');
    const brokerPid = () => Number(readFileSync(pidFile, 'utf8'));
    // Kill the broker and hold its port, so the restart waits for the test and the outage is observable.
    let holder: Server | null = null;
    const killed = new Set<number>();
    await waitFor('the broker killed and its port held', async () => {
      const pid = brokerPid();
      if (!killed.has(pid) && existsSync(`/proc/${pid}`)) {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      }
      holder = await new Promise<Server | null>((resolve) => {
        const s = createServer((sock) => sock.destroy());
        s.once('error', () => resolve(null));
        s.listen(sys.ports.nats, '127.0.0.1', () => resolve(s));
      });
      return holder;
    }, 15000, 10);
    try {
      const h = await healthBecomes('degraded', /^broker: /);
      assert.notEqual(h.nats, 'connected');
      assert.equal(sys.process.exitCode, null, 'the system outlives its broker');
    } finally {
      await new Promise<void>((r) => holder!.close(() => r()));
    }
    await healthBecomes('ok');
    assert.ok(!killed.has(brokerPid()), 'a new broker process runs');
    assert.match(sys.logs(), /nats-server started again/);
    // The api answers through the new broker.
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    try {
      const r = await unary<DescribeLiveRecordConfigRequest, { totalNum: number }>(client as unknown as grpc.Client, 'describeLiveRecordConfig', DescribeLiveRecordConfigRequest.fromPartial({ domainName: 'nobody.example.com' }));
      assert.equal(r.totalNum, 0);
    } finally {
      client.close();
    }
  });
});
