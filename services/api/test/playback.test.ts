// HTTP playback under hostile clients: bad escapes, aborted downloads, files
// deleted under a transfer. The server runs in this process so that its file
// descriptors are this process's (/proc/self/fd).
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalDiskStorage } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { tempDir } from '../../../test-kit/index.js';
import { startHttpServer } from '../src/http-server.js';
import type { PlaybackEnd } from '../src/playback.js';

const BIG = 8 * 1024 * 1024;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('http playback', () => {
  let root: string;
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let socketsIdle: (() => void)[] = [];
  let ends: ((e: PlaybackEnd) => void)[] = [];

  /** Resolves once every connection the server accepted is closed (its descriptor released). */
  const allSocketsClosed = () => new Promise<void>((resolve) => (sockets.size === 0 ? resolve() : socketsIdle.push(resolve)));
  /** Resolves with the next playback transfer that is over, its file closed. */
  const nextEnd = () => new Promise<PlaybackEnd>((resolve) => ends.push(resolve));
  const fds = () => readdirSync('/proc/self/fd').length;

  function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    root = tempDir('playback');
    mkdirSync(join(root, 'record/live/demo'), { recursive: true });
    server = await startHttpServer('127.0.0.1', 0, {
      storage: new LocalDiskStorage(root, 'http://127.0.0.1/'),
      health: async () => ({ status: 'ok', reasons: [], nats: 'connected', storage: 'ok' }),
      log: componentLogger('playback-test'),
      playbackFinished: (e) => ends.splice(0).forEach((fn) => fn(e)),
    });
    port = (server.address() as { port: number }).port;
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        if (sockets.size === 0) socketsIdle.splice(0).forEach((fn) => fn());
      });
    });
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 400 to a malformed escape, 404 to what is not there, and stays healthy', async () => {
    for (const path of ['/record/live/demo/%E0%A4%A.ts', '/%', '/record/%zz.m3u8']) {
      const a = await get(path);
      assert.equal(a.status, 400, path);
      assert.equal(a.headers['access-control-allow-origin'], '*');
    }
    for (const path of ['/record/live/demo/none.m3u8', '/record/../etc/passwd.ts', '/record/live/demo/x.exe', '/', '/record/live/demo/']) {
      assert.equal((await get(path)).status, 404, path);
    }
    assert.equal((await get('/record/live/demo/x.ts', {}, 'DELETE')).status, 405);
    assert.equal((await get('/healthz')).status, 200);
  });

  it('answers a CORS preflight and exposes the range headers a player reads', async () => {
    const pre = await get('/record/live/demo/a.ts', { origin: 'http://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /GET/);
    assert.match(String(pre.headers['access-control-allow-headers']), /Range/i);

    writeFileSync(join(root, 'record/live/demo/a.ts'), Buffer.alloc(1000, 7));
    const part = await get('/record/live/demo/a.ts', { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 100-199/1000');
    assert.equal(part.headers['content-length'], '100');
    assert.equal(part.body.length, 100);
    assert.match(String(part.headers['access-control-expose-headers']), /Content-Range/);
    assert.match(String(part.headers['access-control-expose-headers']), /Content-Length/);
    assert.match(String(part.headers['access-control-expose-headers']), /Accept-Ranges/);

    const beyond = await get('/record/live/demo/a.ts', { range: 'bytes=1000-' });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], 'bytes */1000');
    assert.equal((await get('/record/live/demo/a.ts', { range: 'bytes=-10' })).body.length, 10);
    const head = await get('/record/live/demo/a.ts', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '1000');
  });

  it('releases every descriptor after an aborted download and a file deleted mid-stream', async () => {
    const file = join(root, 'record/live/demo/big.ts');
    writeFileSync(file, Buffer.alloc(BIG, 1));
    await get('/healthz');
    await allSocketsClosed();
    const baseline = fds();

    // Aborted: the client reads one chunk and goes away.
    const aborted = nextEnd();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/record/live/demo/big.ts', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      req.end();
    });
    const abortedEnd = await aborted;
    assert.equal(abortedEnd.outcome, 'aborted');
    assert.ok(abortedEnd.bytes < BIG, `only part of the file was read (${abortedEnd.bytes})`);

    // Deleted while being sent: the open descriptor still holds the data, so the client gets all of it.
    const deleted = nextEnd();
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/record/live/demo/big.ts', agent: false, headers: { connection: 'close' } }, (res) => {
        let n = 0;
        res.once('data', (c: Buffer) => {
          n += c.length;
          res.pause();
          rmSync(file);
          res.on('data', (more: Buffer) => (n += more.length));
          res.resume();
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(received, BIG);
    assert.equal((await deleted).outcome, 'complete');

    // Gone before the request: a plain 404, no exception.
    assert.equal((await get('/record/live/demo/big.ts')).status, 404);

    await allSocketsClosed();
    assert.equal(fds(), baseline, 'no descriptor leaked');
    assert.equal((await get('/healthz')).status, 200);
  });
});
