import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { componentLogger, meter } from '../telemetry/index.js';

/**
 * Largest message of the embedded broker. NATS defaults to 1 MB and allows up to
 * 64 MB; 8 MB is the largest it recommends. Request/reply answers larger than a
 * message are split in parts anyway (libs/bus/reply-parts.ts), so this only
 * saves round trips for large pages (measured in ARCHITECTURE.md).
 */
export const EMBEDDED_MAX_PAYLOAD = 8 * 1024 * 1024;

export interface NatsServerProcess {
  url: string;
  port: number;
  /** The running broker process (a new one after each restart). */
  readonly child: ChildProcess;
  /** How often it was started again after dying. */
  readonly restarts: number;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  port: number;
  storeDir: string;
  log?: (line: string) => void;
  maxPayloadBytes?: number;
  /** Start it again, with backoff, when it exits without being stopped (embedded mode). */
  restart?: boolean;
  /** Told after each restart attempt. */
  onRestart?: (r: { attempt: number; ok: boolean; error?: string }) => void;
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

/** Spawns the broker and resolves once it accepts connections. */
async function spawnBroker(opts: NatsServerOptions, confFile: string, pidFile: string): Promise<ChildProcess> {
  if (await portOpen(opts.port)) throw new Error(`nats: port ${opts.port} is already in use (set LR_NATS_PORT or LR_NATS_URL)`);
  // Own process group: a terminal's Ctrl-C must not stop the broker before the services have flushed.
  const child = spawn('nats-server', ['-c', confFile, '-js', '-sd', opts.storeDir, '-a', '127.0.0.1', '-p', String(opts.port)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: brokerEnv(process.env) });
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    opts.log?.(d.toString());
  });
  const deadline = Date.now() + 15000;
  while (!(await portOpen(opts.port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nats-server exited with ${child.exitCode ?? child.signalCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start within 15 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** Starts a JetStream-enabled nats-server on loopback as a child process; resolves once it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions): Promise<NatsServerProcess> {
  mkdirSync(opts.storeDir, { recursive: true });
  const pidFile = join(opts.storeDir, 'nats-server.pid');
  const confFile = join(opts.storeDir, 'nats-server.conf');
  writeFileSync(confFile, `# written by liverecord at each start\nmax_payload: ${opts.maxPayloadBytes ?? EMBEDDED_MAX_PAYLOAD}\n`);
  await killStale(pidFile);
  const log = componentLogger('nats-server');
  let child = await spawnBroker(opts, confFile, pidFile);
  let stopping = false;
  let restarts = 0;
  let wake: (() => void) | null = null;

  // The broker dying must not end the system: the services reconnect on their own once it is back.
  const relaunch = async (failuresInARow: number): Promise<void> => {
    for (let attempt = failuresInARow; !stopping; attempt++) {
      const waitMs = Math.min(10000, 250 * 2 ** (attempt - 1));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
      if (stopping) return;
      try {
        child = await spawnBroker(opts, confFile, pidFile);
      } catch (err) {
        log.error({ err: (err as Error).message, attempt }, 'nats-server could not be started again');
        opts.onRestart?.({ attempt, ok: false, error: (err as Error).message });
        continue;
      }
      if (stopping) {
        child.kill('SIGTERM'); // stopped meanwhile: stop() only saw the previous, dead process
        return;
      }
      restarts++;
      // Taken here, not at start: the embedded broker starts before the host installs telemetry.
      meter('runtime').createCounter('liverecord_broker_restarts_total', { description: 'Restarts of the embedded nats-server after it died' }).add(1);
      log.info({ brokerPid: child.pid, attempt }, 'nats-server started again');
      opts.onRestart?.({ attempt, ok: true });
      watch(child, Date.now(), attempt);
      return;
    }
  };
  const watch = (c: ChildProcess, startedAt: number, failuresInARow: number) => {
    c.once('exit', (code, signal) => {
      if (stopping || !opts.restart) return;
      const attempt = Date.now() - startedAt > 60000 ? 1 : failuresInARow + 1;
      log.error({ code, signal, attempt }, 'nats-server exited unexpectedly; starting it again');
      relaunch(attempt).catch((err: unknown) => log.error({ err: (err as Error).message }, 'nats-server restart loop failed'));
    });
  };
  watch(child, Date.now(), 0);

  return {
    url: `nats://127.0.0.1:${opts.port}`,
    port: opts.port,
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      wake?.();
      const c = child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
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
    return; // no pid file: nothing was left behind
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
    // gone, or the pid now belongs to another program: either way nothing of ours runs there
  }
  rmSync(pidFile, { force: true });
}

/**
 * The media plane passes every stream's packets through the broker's file store,
 * whose block buffers are short-lived garbage; with Go's default GOGC=100 the
 * broker's heap settles at twice what it holds (measured at 100 streams: 686 MB
 * resident; GOGC=20: 320 MB for 5 % more broker CPU). An operator's own GOGC or
 * GOMEMLIMIT wins.
 */
export function brokerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.GOGC !== undefined || env.GOMEMLIMIT !== undefined) return env;
  return { ...env, GOGC: '20' };
}
