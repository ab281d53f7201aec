import { spawn } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { connectBus, type Bus } from '../libs/bus/index.js';
import { freePort, tempDir, waitFor } from './index.js';

export interface TestNats {
  url: string;
  /** A connection with the system's streams and buckets in place. */
  bus(name: string): Promise<Bus>;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A JetStream-enabled nats-server of its own (free loopback port, temporary store) for service-level tests. */
export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  const child = spawn('nats-server', ['-js', '-sd', tempDir('nats'), '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor('nats-server', async () => {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
    return portOpen(port);
  }, 15000, 50);
  const url = `nats://127.0.0.1:${port}`;
  const buses: Bus[] = [];
  return {
    url,
    async bus(name) {
      const b = await connectBus({ url, name, leaseTtlMs: 10000 });
      buses.push(b);
      return b;
    },
    async stop() {
      await Promise.allSettled(buses.map((b) => b.close()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
