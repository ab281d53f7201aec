import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { serveMetrics, type Logger } from '../../../libs/telemetry/index.js';
import { isSafeKey } from '../../../libs/naming/index.js';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.flv': 'video/x-flv',
};

export interface HttpDeps {
  storage: LocalDiskStorage;
  healthy(): { ok: boolean; detail: Record<string, unknown> };
  log: Logger;
}

/** Health, metrics, and playback of recordings kept on local disk (with byte ranges for players). */
export function startHttpServer(bind: string, port: number, deps: HttpDeps): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res, deps).catch((err) => {
      deps.log.error({ url: req.url, err: (err as Error).message }, 'http request failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => resolve(server));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    const h = deps.healthy();
    res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
    return;
  }
  if (url.pathname === '/metrics') {
    serveMetrics(req, res);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const key = decodeURIComponent(url.pathname.slice(1));
  const type = CONTENT_TYPES[extname(key)];
  if (!type || !isSafeKey(key)) {
    res.writeHead(404).end();
    return;
  }
  let size: number;
  try {
    const st = await stat(deps.storage.pathOf(key));
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': type, 'accept-ranges': 'bytes', 'access-control-allow-origin': '*' };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  let code = 200;
  if (range && (range[1] || range[2])) {
    if (range[1]) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    } else {
      start = Math.max(0, size - Number(range[2]));
    }
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    code = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(code, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  (await deps.storage.read(key, { start, end })).pipe(res);
}
