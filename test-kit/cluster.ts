// Helpers for tests of the clustered deployment: a 3-node NATS cluster started
// from deploy/cluster's own configuration files, and services run one per process
// as deploy/cluster runs them. Every child is tracked and killed when the test
// process exits, so a failed or timed-out test leaves nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { REPO_ROOT, freePort, tempDir, waitFor } from './index.js';

const children = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
const killAll = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups) {
    try {
      f();
    } catch { /* best effort on the way out */ }
  }
};
process.once('exit', killAll);
// A test run cut short (timeout, Ctrl-C) ends with a signal, which skips 'exit' handlers.
for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(code);
  });
}

/** Runs `stop` (synchronous) if the test process ends before the test undid it itself; returns the undo. */
export function stopOnExit(stop: () => void): () => void {
  cleanups.add(stop);
  return () => cleanups.delete(stop);
}

function track(child: ChildProcess): Promise<number | null> {
  children.add(child);
  return new Promise((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by a signal). */
async function terminate(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(t);
  return code;
}

export interface ClusterNode {
  /** server_name from its configuration file (nats-1 .. nats-3). */
  name: string;
  url: string;
  alive(): boolean;
  logs(): string;
  /** SIGKILL: the node vanishes without a goodbye, as on a host failure. */
  kill(): Promise<void>;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated: the form LR_NATS_URL takes. */
  url: string;
  node(name: string): ClusterNode;
  /** A live node's URL, for a test's own connection after a node was killed. */
  anyLiveUrl(): string;
  stop(): Promise<void>;
}

/**
 * Three nats-server processes clustered on free loopback ports. Each runs
 * deploy/cluster/nats-K.conf unchanged except for its addresses (flags override
 * the file), in its own working directory so that the file's relative store_dir
 * is its own. Resolves once JetStream can place a 3-replica stream.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort() });
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');
  const dirs: string[] = [];
  const nodes: (ClusterNode & { stop(): Promise<unknown> })[] = ports.map((p, i) => {
    const name = `nats-${i + 1}`;
    const child = spawn('nats-server', [
      '-c', join(REPO_ROOT, 'deploy/cluster', `${name}.conf`),
      '-a', '127.0.0.1', '-p', String(p.client), '--cluster', `nats://127.0.0.1:${p.route}`, '--routes', routes, '-m', '0',
    ], { cwd: dirs[dirs.push(tempDir(name)) - 1], stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = track(child);
    return {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      alive: () => child.exitCode === null && child.signalCode === null,
      logs: () => out,
      async kill() {
        child.kill('SIGKILL');
        await exited;
      },
      stop: () => terminate(child, exited, 10000),
    };
  });
  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node ${name} in the cluster (${nodes.map((x) => x.name).join(', ')})`);
      return n;
    },
    anyLiveUrl() {
      const n = nodes.find((x) => x.alive());
      if (!n) throw new Error('every node of the cluster is down');
      return n.url;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  try {
    await waitFor('a JetStream cluster that places 3 replicas', async () => {
      for (const n of nodes) if (!n.alive()) throw new Error(`${n.name} exited:\n${n.logs().slice(-2000)}`);
      return canPlaceReplicas(nodes.map((n) => n.url), size);
    }, 30000, 250);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** The meta leader is elected and every peer has joined: a probe stream with `replicas` replicas is placed. */
async function canPlaceReplicas(servers: string[], replicas: number): Promise<boolean> {
  let nc: NatsConnection | null = null;
  try {
    nc = await connect({ servers, timeout: 2000 });
    const jsm = await jetstreamManager(nc, { timeout: 3000 });
    const name = `PROBE_${process.pid}`;
    await jsm.streams.add({ name, subjects: [`probe.${process.pid}`], num_replicas: replicas, storage: StorageType.Memory, retention: RetentionPolicy.Limits });
    await jsm.streams.delete(name);
    return true;
  } catch {
    return false;
  } finally {
    // Cleanup: a connection already gone needs no closing.
    await nc?.close().catch(() => undefined);
  }
}

/** The log line each service prints once it serves. */
const READY: Record<string, string> = {
  index: 'index ready',
  'storage-uploader': 'storage uploader ready',
  notifier: 'notifier ready',
  'splice-timer': 'splice timer ready',
  matcher: 'matcher ready',
  api: 'api listening',
  ingest: 'RTMP ingest listening',
  recorder: 'recorder worker ready',
};

export interface ServiceProcess {
  service: string;
  /** Name in test messages (e.g. recorder w1). */
  label: string;
  logs(): string;
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL, as a crashed host. */
  kill(): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code (null when it had to be killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** One service alone, as deploy/cluster runs it: `node --import tsx services/<name>/src/main.ts`. */
export function startServiceProcess(service: string, env: Record<string, string>, label = service): ServiceProcess {
  if (!READY[service]) throw new Error(`unknown service ${service}`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services', service, 'src/main.ts')], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = track(child);
  return {
    service,
    label,
    logs: () => out,
    async ready(timeoutMs = 60000) {
      await waitFor(`${label} ready`, () => {
        if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}:\n${out.slice(-3000)}`);
        return out.includes(READY[service]);
      }, timeoutMs, 100);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    stop: (graceMs = 30000) => terminate(child, exited, graceMs),
  };
}

export interface StoredEvent {
  subject: string;
  seq: number;
  msgId: string | null;
  data: unknown;
}

/**
 * The whole event log (LR_EVENTS) in one ordered read, grouped by subject. With a
 * node down, nats-server < 2.12 may place the read's consumer on the dead node
 * (no answer): creation is retried with a short timeout.
 */
export async function readEventLog(natsUrl: string, timeoutMs = 30000): Promise<Map<string, StoredEvent[]>> {
  const nc = await connect({ servers: natsUrl.split(','), timeout: 5000 });
  try {
    const js = jetstream(nc, { timeout: 3000 });
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const last = (await jsm.streams.info('LR_EVENTS')).state.last_seq;
    const bySubject = new Map<string, StoredEvent[]>();
    if (last === 0) return bySubject;
    const consumer = await waitFor('a consumer of LR_EVENTS', () => js.consumers.get('LR_EVENTS', { deliver_policy: DeliverPolicy.All }), 20000, 100);
    const messages = await consumer.consume({ max_messages: 512 });
    const timer = setTimeout(() => messages.stop(), timeoutMs);
    let upTo = 0;
    try {
      for await (const m of messages) {
        upTo = m.seq;
        const list = bySubject.get(m.subject) ?? [];
        list.push({ subject: m.subject, seq: m.seq, msgId: m.headers?.get('Nats-Msg-Id') || null, data: m.json() });
        bySubject.set(m.subject, list);
        if (m.seq >= last) break;
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
    }
    if (upTo < last) throw new Error(`read LR_EVENTS up to ${upTo} of ${last} within ${timeoutMs} ms`);
    return bySubject;
  } finally {
    await nc.close();
  }
}
