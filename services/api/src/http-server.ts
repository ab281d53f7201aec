import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Counter } from '@opentelemetry/api';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';
import { meter, serveMetrics, type Logger } from '../../../libs/telemetry/index.js';
import type { Health } from './health.js';
import { objectKeyOf } from './object-key.js';
import { authorizePlayback, type PlaybackAccess } from './playback-access.js';
import { servePlayback, type PlaybackEnd } from './playback.js';
import { serveSignedPlaylist, serveSignedThumbnailTrack } from './signed-playlist.js';

export interface HttpDeps {
  storage: LocalDiskStorage;
  health(): Promise<Health>;
  log: Logger;
  /** Told when a playback transfer is over and its file closed. */
  playbackFinished?: (end: PlaybackEnd) => void;
  /** Signed URLs or a read API key required for recordings; absent: open (tests of the transfer itself). */
  access?: PlaybackAccess;
  /** What this listener serves (default both): /metrics and /healthz can live on a separate, loopback listener. */
  routes?: { ops: boolean; playback: boolean };
  /** PEM certificate and key: the listener speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /** The web console (/console, its assets and JSON API), served where playback is. */
  console?: { handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> };
}

/**
 * Browser players (hls.js, video.js) fetch across origins with a Range header,
 * which makes the browser send a preflight; they read Content-Range and
 * Content-Length to seek, which a cross-origin response hides unless exposed.
 */
const CORS: OutgoingHttpHeaders = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Range, Content-Length, Accept-Ranges',
};
const PREFLIGHT: OutgoingHttpHeaders = {
  ...CORS,
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-Range, Origin, Accept, Content-Type, Authorization',
  'access-control-max-age': '86400',
};

let failures: Counter | null = null;

/** Health, metrics, playback of recordings kept on local disk (with byte ranges for players), and the web console. */
export function startHttpServer(bind: string, port: number, deps: HttpDeps): Promise<Server> {
  const listener: RequestListener = (req, res) => {
    handle(req, res, deps).catch((err: unknown) => {
      (failures ??= meter('api').createCounter('liverecord_http_failures_total', { description: 'HTTP requests that failed inside the server (answered 500 or cut)' })).add(1);
      deps.log.error({ url: (req.url ?? '').split('?', 1)[0], err: (err as Error).message }, 'http request failed');
      if (!res.headersSent) res.writeHead(500, CORS).end();
      else res.destroy();
    });
  };
  const server: Server = deps.tls ? createTlsServer({ cert: deps.tls.cert, key: deps.tls.key }, listener) : createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      // After the start, a server error (not a request's) is logged rather than left to crash the process.
      server.on('error', (err) => deps.log.error({ err: err.message }, 'http server error'));
      resolve(server);
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const routes = deps.routes ?? { ops: true, playback: true };
  // First, so the console's API is never answered a cross-origin preflight: it is same-origin only.
  if (deps.console && routes.playback && (await deps.console.handle(req, res))) return;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, PREFLIGHT).end();
    return;
  }
  const path = (req.url ?? '').split('?', 1)[0];
  if ((path === '/healthz' || path === '/metrics') && !routes.ops) {
    res.writeHead(404, CORS).end();
    return;
  }
  if (path === '/healthz') {
    const h = await deps.health();
    res.writeHead(h.status === 'ok' ? 200 : 503, { ...CORS, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(h));
    return;
  }
  if (path === '/metrics') {
    serveMetrics(req, res);
    return;
  }
  if (!routes.playback) {
    res.writeHead(404, CORS).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...CORS, allow: 'GET, HEAD, OPTIONS' }).end();
    return;
  }
  const key = objectKeyOf(req.url);
  if (!key.ok) {
    res.writeHead(key.status, { ...CORS, 'content-type': 'text/plain; charset=utf-8' }).end(`${key.reason}\n`);
    return;
  }
  if (deps.access) {
    const verdict = await authorizePlayback(req, key.key, deps.access);
    if (!verdict.ok) {
      deps.log.info({ key: key.key, status: verdict.status, reason: verdict.reason }, 'playback refused');
      res.writeHead(verdict.status, { ...CORS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${verdict.reason}\n`);
      return;
    }
    if (key.key.endsWith('.m3u8')) {
      await serveSignedPlaylist(req, res, key.key, CORS, deps.storage, deps.access.secret, verdict.expiresSec);
      return;
    }
    if (key.key.endsWith('.vtt')) {
      await serveSignedThumbnailTrack(req, res, key.key, CORS, deps.storage, deps.access.secret, verdict.expiresSec);
      return;
    }
  }
  await servePlayback(req, res, key.key, CORS, { storage: deps.storage, log: deps.log, finished: deps.playbackFinished });
}
