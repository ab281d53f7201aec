import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isSafeKey } from '../../../libs/naming/index.js';
import { signPlaylist, signThumbnailTrack } from '../../../libs/playback-auth/index.js';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';

/** Playlists and tracks are small; anything bigger under such a name is not one this system wrote. */
const MAX_PLAYLIST_BYTES = 16 * 1024 * 1024;

/**
 * An m3u8 read through authorization, its URIs signed until `expiresSec` (see
 * signPlaylist). Sent whole: the body differs from the stored bytes, so byte
 * ranges of a playlist are not offered (players fetch playlists whole anyway).
 */
export async function serveSignedPlaylist(req: IncomingMessage, res: ServerResponse, key: string, headers: OutgoingHttpHeaders, storage: LocalDiskStorage, secret: string, expiresSec: number): Promise<void> {
  await serveRewritten(req, res, key, headers, storage, 'application/vnd.apple.mpegurl', (text) => signPlaylist(text, key, secret, expiresSec));
}

/** A WebVTT thumbnail track read through authorization, its sprite sheets signed (see signThumbnailTrack). */
export async function serveSignedThumbnailTrack(req: IncomingMessage, res: ServerResponse, key: string, headers: OutgoingHttpHeaders, storage: LocalDiskStorage, secret: string, expiresSec: number): Promise<void> {
  await serveRewritten(req, res, key, headers, storage, 'text/vtt; charset=utf-8', (text) => signThumbnailTrack(text, key, secret, expiresSec));
}

async function serveRewritten(req: IncomingMessage, res: ServerResponse, key: string, headers: OutgoingHttpHeaders, storage: LocalDiskStorage, contentType: string, rewrite: (text: string) => string): Promise<void> {
  if (!isSafeKey(key)) {
    res.writeHead(404, headers).end();
    return;
  }
  const path = storage.pathOf(key);
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size > MAX_PLAYLIST_BYTES) {
      res.writeHead(404, headers).end();
      return;
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      res.writeHead(404, headers).end();
      return;
    }
    throw err;
  }
  const body = Buffer.from(rewrite(text), 'utf8');
  res.writeHead(200, { ...headers, 'content-type': contentType, 'content-length': body.length, 'cache-control': 'private, no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
