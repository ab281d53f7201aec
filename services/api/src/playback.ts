import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Counter } from '@opentelemetry/api';
import { isSafeKey } from '../../../libs/naming/index.js';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';
import { meter, type Logger } from '../../../libs/telemetry/index.js';
import { parseRange } from './byte-range.js';

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.flv': 'video/x-flv',
  // Thumbnails, covers and sprite sheets; WebVTT thumbnail tracks.
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt; charset=utf-8',
};

/** Errors of a transfer that mean the client is gone. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

/** Errors of open() that mean "there is no such object" rather than a failing disk. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

export interface PlaybackEnd {
  key: string;
  outcome: 'complete' | 'aborted' | 'failed';
  bytes: number;
  error?: string;
}

export interface PlaybackDeps {
  storage: LocalDiskStorage;
  log: Logger;
  /** Told once the request's file is closed again (metrics are kept here; tests wait on it). */
  finished?: (end: PlaybackEnd) => void;
}

let ends: Counter | null = null;
function countEnd(outcome: PlaybackEnd['outcome']): void {
  (ends ??= meter('api').createCounter('liverecord_playback_transfers_total', { description: 'Playback bodies sent, by outcome (complete, aborted by the client, failed)' })).add(1, { outcome });
}

/**
 * GET/HEAD of one stored object, with a byte range. The file is opened before
 * anything is answered and its size read from the open descriptor, so a file
 * deleted meanwhile is a plain 404 (never an exception), and one deleted while
 * it is being sent is still sent whole (the descriptor keeps it). The
 * descriptor is closed on every path: complete, client abort, read error.
 */
export async function servePlayback(req: IncomingMessage, res: ServerResponse, key: string, headers: OutgoingHttpHeaders, deps: PlaybackDeps): Promise<void> {
  const type = CONTENT_TYPES[extname(key)];
  if (!type || !isSafeKey(key)) {
    res.writeHead(404, headers).end();
    return;
  }
  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO someone left under the root must not hang a worker thread.
    fh = await open(deps.storage.pathOf(key), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!ABSENT.has(code)) deps.log.error({ key, err: (err as Error).message }, 'playback: cannot open a stored object');
    res.writeHead(ABSENT.has(code) ? 404 : 500, headers).end();
    return;
  }
  const end: PlaybackEnd = { key, outcome: 'complete', bytes: 0 };
  try {
    await send(req, res, fh, type, headers, end);
  } catch (err) {
    end.outcome = 'failed';
    end.error = (err as Error).message;
    throw err; // the server answers 500 (or cuts the response) and logs it
  } finally {
    await fh.close().catch((err: unknown) => deps.log.error({ key, err: (err as Error).message }, 'playback: closing the file failed'));
    if (end.outcome === 'failed') deps.log.warn({ key, bytes: end.bytes, err: end.error }, 'playback: transfer failed');
    else if (end.outcome === 'aborted') deps.log.debug({ key, bytes: end.bytes }, 'playback: client went away');
    if (end.outcome !== 'complete' || end.bytes > 0) countEnd(end.outcome);
    deps.finished?.(end);
  }
}

async function send(req: IncomingMessage, res: ServerResponse, fh: FileHandle, type: string, base: OutgoingHttpHeaders, end: PlaybackEnd): Promise<void> {
  const st = await fh.stat();
  if (!st.isFile()) {
    res.writeHead(404, base).end();
    return;
  }
  const size = st.size;
  const range = parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'content-range': `bytes */${size}` }).end();
    return;
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const last = range.kind === 'partial' ? range.end : size - 1;
  const length = size === 0 ? 0 : last - start + 1;
  const headers: OutgoingHttpHeaders = { ...base, 'content-type': type, 'accept-ranges': 'bytes', 'content-length': length };
  if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${last}/${size}`;
  res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  // autoClose off: the caller closes the handle once, whatever happened to the stream.
  const body = fh.createReadStream({ start, end: last, autoClose: false });
  try {
    await pipeline(body, res);
  } catch (err) {
    // The client went away (closed the tab, seeked, aborted): normal for players, not an error of ours.
    end.outcome = CLIENT_GONE.has((err as NodeJS.ErrnoException).code ?? '') ? 'aborted' : 'failed';
    end.error = (err as Error).message;
  } finally {
    end.bytes = body.bytesRead;
  }
}
