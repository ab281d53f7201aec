import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';

export interface NatsServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
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

/** Starts a JetStream-enabled nats-server on loopback as a child process; resolves once it accepts connections. */
export async function startNatsServer(opts: { port: number; storeDir: string; log?: (line: string) => void }): Promise<NatsServerProcess> {
  mkdirSync(opts.storeDir, { recursive: true });
  const pidFile = join(opts.storeDir, 'nats-server.pid');
  await killStale(pidFile);
  if (await portOpen(opts.port)) throw new Error(`nats: port ${opts.port} is already in use (set LR_NATS_PORT or LR_NATS_URL)`);
  // Own process group: a terminal's Ctrl-C must not stop the broker before the services have flushed.
  const child = spawn('nats-server', ['-js', '-sd', opts.storeDir, '-a', '127.0.0.1', '-p', String(opts.port)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    opts.log?.(d.toString());
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 15000;
  while (!(await portOpen(opts.port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start within 15 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${opts.port}`,
    port: opts.port,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      rmSync(pidFile, { force: true });
    },
  };
}

/** A broker left behind by a process that was killed: stop it before starting a new one on the same store. */
async function killStale(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server')) throw new Error('not ours');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      process.kill(pid, 0);
    }
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone or not ours */
  }
  rmSync(pidFile, { force: true });
}
