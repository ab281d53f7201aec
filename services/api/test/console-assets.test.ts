// The console's page and assets as the api's HTTP server serves them (the real listener
// and WebConsole routing, over a built directory in a temp dir): the page with its
// Content-Security-Policy, assets by exact name only (no path, no traversal, no file
// outside the build, no name the build does not make), revalidation by ETag, and a
// console that was never built answered 503 with what to run.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Bus } from '../../../libs/bus/index.js';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';
import { tempDir } from '../../../test-kit/index.js';
import type { ApiKeyStore } from '../src/auth/api-key-store.js';
import { WebConsole } from '../src/console/web-console.js';
import { startHttpServer } from '../src/http-server.js';
import type { MethodTable } from '../src/method-calls.js';
import type { TemplateHandlers } from '../src/template-handlers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path exactly as written (fetch would resolve `..` and `%2e` before sending). */
function raw(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function serve(appDir: string, storageRoot: string): Promise<Server> {
  const log = pino({ level: 'silent' });
  // Only the page and assets are asked for here: the bus, keys and handlers are never touched.
  const webConsole = new WebConsole({ bus: {} as Bus, log, keys: {} as ApiKeyStore, methods: {} as MethodTable, templates: {} as TemplateHandlers, appDir });
  const storage = { root: storageRoot } as unknown as LocalDiskStorage;
  return startHttpServer('127.0.0.1', 0, { storage, log, health: async () => ({ status: 'ok' }) as never, console: webConsole, routes: { ops: false, playback: true } });
}

describe('console page and assets', () => {
  let server: Server;
  let unbuilt: Server;
  let port: number;
  let unbuiltPort: number;

  before(async () => {
    const root = tempDir('console-assets');
    const app = join(root, 'dist', 'console-app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>liverecord</title>');
    writeFileSync(join(app, 'app.js'), 'console.log("app");');
    writeFileSync(join(app, 'app.css'), 'body{}');
    writeFileSync(join(app, '.built'), 'stamp');
    writeFileSync(join(app, 'notes.txt'), 'not an asset type');
    writeFileSync(join(root, 'dist', 'secret.js'), 'outside the build');
    writeFileSync(join(root, 'secret.js'), 'outside the build');
    const empty = join(root, 'never-built');
    mkdirSync(empty);
    server = await serve(app, join(root, 'storage'));
    unbuilt = await serve(empty, join(root, 'storage'));
    port = (server.address() as AddressInfo).port;
    unbuiltPort = (unbuilt.address() as AddressInfo).port;
  });

  after(() => {
    server?.close();
    unbuilt?.close();
  });

  it('serves the page under a strict policy, and its assets by name', async () => {
    for (const path of ['/console', '/console/']) {
      const page = await raw(port, path);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
      const csp = String(page.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(directive), `${directive} in ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['access-control-allow-origin'], undefined, 'the console is same-origin only');
    }
    const js = await raw(port, '/console/assets/app.js');
    assert.deepEqual([js.status, js.headers['content-type'], js.body], [200, 'text/javascript; charset=utf-8', 'console.log("app");']);
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const css = await raw(port, '/console/assets/app.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const head = await raw(port, '/console/assets/app.js', 'HEAD');
    assert.deepEqual([head.status, head.body], [200, '']);
    const again = await raw(port, '/console/assets/app.js', 'GET', { 'if-none-match': String(js.headers.etag) });
    assert.deepEqual([again.status, again.body], [304, '']);
    assert.equal((await raw(port, '/console', 'POST')).status, 405);
  });

  it('serves nothing outside the build, nor a file of the build that is not an asset', async () => {
    const attempts = [
      '/console/assets/../secret.js', '/console/assets/../../secret.js', '/console/assets/..%2fsecret.js', '/console/assets/..%2F..%2Fsecret.js',
      '/console/assets/%2e%2e/secret.js', '/console/assets/%2e%2e%2fsecret.js', '/console/assets/..\\secret.js', '/console/assets//etc/passwd',
      '/console/assets/%2fetc%2fpasswd', '/console/assets/sub/app.js', '/console/assets/.built', '/console/assets/notes.txt',
      '/console/assets/index.html%00.js', '/console/assets/', '/console/assets/missing.js',
    ];
    for (const path of attempts) {
      const r = await raw(port, path);
      assert.equal(r.status, 404, `${path} answered ${r.status}: ${r.body}`);
      assert.doesNotMatch(r.body, /outside the build|stamp|not an asset type|root:/, path);
    }
  });

  it('a console that was never built: the page says what to run, assets are 404', async () => {
    const page = await raw(unbuiltPort, '/console');
    assert.equal(page.status, 503);
    assert.match(page.body, /npm run build/);
    assert.equal((await raw(unbuiltPort, '/console/assets/app.js')).status, 404);
  });
});
