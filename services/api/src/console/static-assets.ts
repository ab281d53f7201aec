// The console's page and its bundled scripts and styles, built by scripts/build.mjs
// (scripts/build-console.mjs) into dist/console-app. Public: they hold no data; every
// data call the page makes needs the API key.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build writes the console: dist/console-app at the repository root, from sources or from dist/. */
export function consoleAppDir(): string {
  const candidates = ['../../../../dist/console-app', '../../../../../dist/console-app'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page may run only its own scripts and styles; it talks to its own origin, and
 * plays recordings from its origin or from object storage (any http(s) origin, as
 * record_url names it) through media-source blobs.
 */
const PAGE_HEADERS = {
  'content-security-policy': [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self' http: https:", "media-src 'self' blob: http: https:", "worker-src 'self' blob:",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Serves /console (the page) and /console/assets/{file}; a name outside the build is 404. */
export async function serveConsoleAsset(req: IncomingMessage, res: ServerResponse, dir: string, asset: string | null): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const name = asset ?? 'index.html';
  const ext = name.slice(name.lastIndexOf('.'));
  if (!ASSET_NAME.test(name) || !(ext in TYPES)) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const file = join(dir, name);
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!info?.isFile()) {
    if (asset === null) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('The web console is not built: run `npm run build` (scripts/build.mjs builds it into dist/console-app).\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
    return;
  }
  // Fixed file names, so the browser revalidates every time (cheap on the console's own port).
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = { 'content-type': TYPES[ext], 'cache-control': 'no-cache', etag, ...(asset === null ? PAGE_HEADERS : { 'x-content-type-options': 'nosniff' }) };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const body = await readFile(file);
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}
