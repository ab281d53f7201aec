// `liverecord console`: prints a link that opens the web console signed in
// (http://127.0.0.1:8080/console#key=…). The key rides in the URL's fragment, which a
// browser never sends to a server; the console takes it out of the address bar at
// once. The key is found as every other command finds it (--key, LIVERECORD_API_KEY,
// {data dir}/admin.key); nothing is called.
import { parseArgs } from 'node:util';
import { resolveConnection } from '../libs/client/index.js';
import { UsageError } from './usage-error.js';

export const CONSOLE_DESCRIPTION = 'Print a link that opens the web console signed in with the API key.';

export const CONSOLE_HELP = [
  `liverecord console: ${CONSOLE_DESCRIPTION}`,
  '',
  'Usage: liverecord console [--url <base>] [--http-port <port>] [--server <host:port>] [--key <key>] [--data-dir <dir>]',
  '',
  'The link is http://{host}:{port}/console#key={key}: host from --server (default 127.0.0.1),',
  'port from --http-port (env LR_HTTP_PORT; default 8080); --url gives the whole base instead',
  '(https://recorder.example.com behind a proxy). The key comes from --key, LIVERECORD_API_KEY or',
  '{data dir}/admin.key. Anyone with the link has the key: open it, do not share it.',
].join('\n');

const DEFAULT_HTTP_PORT = '8080';

/** The host part of a host:port address ([v6]:port kept bracketed). */
function hostOf(server: string): string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(server.replace(/^[a-z]+:\/\//i, ''));
  return m ? m[1] : '127.0.0.1';
}

export function consoleLink(args: string[], env: Record<string, string | undefined>): string {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' }, 'http-port': { type: 'string' }, server: { type: 'string' },
        key: { type: 'string' }, 'data-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message, 'console');
  }
  const conn = resolveConnection({ server: values.server, key: values.key, dataDir: values['data-dir'] }, env);
  if (!conn.apiKey) throw new UsageError('no API key: give --key, set LIVERECORD_API_KEY, or run where the data directory with admin.key is (--data-dir, LR_DATA_DIR)', 'console');
  let base: string;
  if (values.url) {
    let u: URL;
    try {
      u = new URL(values.url);
    } catch {
      throw new UsageError(`--url is not a URL: ${values.url}`, 'console');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError('--url must be an http or https URL', 'console');
    base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } else {
    const port = values['http-port'] ?? (env.LR_HTTP_PORT?.trim() || DEFAULT_HTTP_PORT);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`--http-port must be a port number, got ${port}`, 'console');
    base = `http://${hostOf(conn.server)}:${port}`;
  }
  return `${base}/console#key=${encodeURIComponent(conn.apiKey)}`;
}
