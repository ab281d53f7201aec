// Helpers for integration and end-to-end tests: real processes on free loopback ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { LiveRecordServiceClient } from '../libs/proto/index.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Ports this process has handed out: the kernel may offer a closed one again, and two of one system's ports must differ. */
const handedOut = new Set<number>();

/** A loopback port nobody listens on now and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lr-${prefix}-`));
}

/** The promise's value, or a rejection naming `what` if it has not settled within `timeoutMs` (a deadline, not a pause). */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export interface RunningSystem {
  dataDir: string;
  storageRoot: string;
  ports: { rtmp: number; grpc: number; http: number; nats: number };
  natsUrl: string;
  /** The admin API key the system wrote to {dataDir}/admin.key at its first start ('' when it runs no api). */
  adminKey: string;
  logs(): string;
  process: ChildProcess;
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `npm start`'s embedded system as a child process with its own ports and data directory. */
export async function startSystem(env: Record<string, string> = {}, dataDir = tempDir('sys'), opts: { compiled?: boolean } = {}): Promise<RunningSystem> {
  const ports = { rtmp: await freePort(), grpc: await freePort(), http: await freePort(), nats: await freePort() };
  // compiled: exactly what `npm start` runs (the JavaScript in dist/, built first when stale).
  if (opts.compiled) {
    const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed');
  }
  const entry = opts.compiled ? ['--enable-source-maps', join(REPO_ROOT, 'dist/deploy/embedded/main.js')] : ['--import', 'tsx', join(REPO_ROOT, 'deploy/embedded/main.ts')];
  const child = spawn(process.execPath, entry, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LR_DATA_DIR: dataDir,
      LR_BIND: '127.0.0.1',
      LR_RTMP_PORT: String(ports.rtmp),
      LR_GRPC_PORT: String(ports.grpc),
      LR_HTTP_PORT: String(ports.http),
      LR_NATS_PORT: String(ports.nats),
      LR_LOG_LEVEL: 'info',
      // Tests read the log lines as JSON (a pipe gives JSON anyway; this holds against an LR_LOG_FORMAT in the shell).
      LR_LOG_FORMAT: 'json',
      LR_RELAXED_LIMITS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor('the system to start', () => {
    if (child.exitCode !== null) throw new Error(`system exited with ${child.exitCode}:\n${out.slice(-3000)}`);
    return out.includes('liverecord is up');
  }, 60000, 100);
  const keyFile = join(dataDir, 'admin.key');
  // The api writes the key; a system started without it (LR_EMBEDDED_SERVICES) has none.
  const adminKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
  return {
    dataDir,
    adminKey,
    storageRoot: join(dataDir, 'storage'),
    ports,
    natsUrl: `nats://127.0.0.1:${ports.nats}`,
    logs: () => out,
    process: child,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 45000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Test media made on the fly with ffmpeg's generators (cached per process). */
export function makeTestMedia(kind: 'h264-aac' | 'flv1-aac', seconds: number): string {
  const dir = join(tmpdir(), 'lr-media');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-${seconds}s.flv`);
  if (existsSync(file)) return file;
  const video = kind === 'h264-aac'
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-b:v', '800k', '-pix_fmt', 'yuv420p']
    : ['-c:v', 'flv', '-g', '50', '-b:v', '800k'];
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds), ...video, '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', `${file}.tmp`,
  ]);
  if (r.status !== 0) throw new Error(`could not make test media: ${r.stderr}`);
  spawnSync('mv', [`${file}.tmp`, file]);
  return file;
}

/** Publishes a file in real time, media copied; resolves with ffmpeg's exit code. */
export function push(file: string, url: string, opts: { seconds?: number; outputArgs?: string[] } = {}): { done: Promise<number | null>; kill(): void } {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', file, ...(opts.seconds ? ['-t', String(opts.seconds)] : []), '-c', 'copy', ...(opts.outputArgs ?? []), '-f', 'flv', url], { stdio: 'ignore' });
  return {
    done: new Promise((r) => child.once('exit', (code) => r(code))),
    kill: () => child.kill('SIGKILL'),
  };
}

export interface ProbeJson {
  format: { duration?: string; format_name?: string };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

export function ffprobe(input: string): ProbeJson {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', input], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe ${input} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeJson;
}

/**
 * MD5 of every video packet's payload, in order (timestamps differ between a
 * source and its copy). H.264 in FLV is length-prefixed and in TS start-code
 * framed, so a non-TS input is first remuxed to TS (media copied) the way the
 * recorder's TS muxer frames it.
 */
export function videoPacketHashes(input: string): string[] {
  let source = input;
  if (!/\.(ts|m3u8)$/.test(input)) {
    source = join(tempDir('remux'), 'video.ts');
    const remux = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0:v:0', '-c', 'copy', '-f', 'mpegts', source]);
    if (remux.status !== 0) throw new Error(`remux of ${input} failed: ${remux.stderr}`);
  }
  // Muxers differ in the parameter sets and access-unit delimiters they add around each picture
  // (and in their order): compare the pictures themselves, without SPS, PPS and AUD NAL units.
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', source, '-map', '0:v:0', '-c', 'copy', '-bsf:v', 'filter_units=remove_types=7|8|9', '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`framemd5 of ${input} failed: ${r.stderr}`);
  // stream, dts, pts, duration, size, hash[, side data]
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',')[5].trim());
}

/** Metadata every call of a client carries: the API key as `authorization: Bearer`. */
export function bearerInterceptor(key: string): grpc.Interceptor {
  return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('authorization', `Bearer ${key}`);
      next(metadata, listener);
    },
  });
}

/** A generated client that presents `key` (usually `sys.adminKey`); '' sends no key. */
export function grpcClient(port: number, key: string): LiveRecordServiceClient {
  return new LiveRecordServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), key ? { interceptors: [bearerInterceptor(key)] } : {});
}

/** Calls a unary method of the generated client as a promise. */
export function unary<Req, Res>(client: grpc.Client, method: string, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method](req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
export { eventsOn } from './events.js';
export { startPostgres, type ThrowawayPostgres } from './postgres.js';
export { startS3, startCuttableProxy, type CuttableProxy, type TestS3 } from './s3.js';
export { startNats, type TestNats } from './nats.js';
export { EventLog, type LoggedEvent } from './event-log.js';
export { seedCatalogue, type SeedOptions } from './catalogue.js';
