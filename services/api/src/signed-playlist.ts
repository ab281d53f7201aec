import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isSafeKey } from '../../../libs/naming/index.js';
import { signPlaylist } from '../../../libs/playback-auth/index.js';
import type { LocalDiskStorage } from '../../../libs/storage/index.js';

/** Playlists are small; anything bigger under a .m3u8 name is not one this system wrote. */
const MAX_PLAYLIST_BYTES = 16 * 1024 * 1024;

/**
 * An m3u8 read through authorization, its URIs signed until `expiresSec` (see
 * signPlaylist). Sent whole: the body differs from the stored bytes, so byte
 * ranges of a playlist are not offered (players fetch playlists whole anyway).
 */
export async function serveSignedPlaylist(req: IncomingMessage, res: ServerResponse, key: string, headers: OutgoingHttpHeaders, storage: LocalDiskStorage, secret: string, expiresSec: number): Promise<void> {
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
  const body = Buffer.from(signPlaylist(text, key, secret, expiresSec), 'utf8');
  res.writeHead(200, { ...headers, 'content-type': 'application/vnd.apple.mpegurl', 'content-length': body.length, 'cache-control': 'private, no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
