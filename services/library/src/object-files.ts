// Brings an asset's stored objects to local files for ffmpeg: one file, or an
// m3u8 with its segments (URIs rewritten to the local copies).
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageBackend } from '../../../libs/storage/index.js';
import { playlistObjectKeys } from './playlist-merge.js';

/** Errors name the object, not the server's paths (they reach task states and callbacks). */
export async function download(backend: StorageBackend, key: string, path: string): Promise<void> {
  try {
    await pipeline(await backend.read(key), createWriteStream(path));
  } catch (err) {
    throw new Error(`could not read ${key} from storage: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function readBytes(backend: StorageBackend, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of await backend.read(key)) chunks.push(c as Buffer);
  } catch (err) {
    throw new Error(`could not read ${key} from storage: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

export async function readText(backend: StorageBackend, key: string): Promise<string> {
  return (await readBytes(backend, key)).toString('utf8');
}

/** A local copy of the object (an m3u8 with every segment it names); answers the path to give ffmpeg. */
export async function materialize(backend: StorageBackend, key: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (!key.endsWith('.m3u8')) {
    const path = join(dir, `input${posix.extname(key)}`);
    await download(backend, key, path);
    return path;
  }
  const text = await readText(backend, key);
  const keys = playlistObjectKeys(text, key);
  const local = new Map<string, string>();
  for (const [i, k] of keys.entries()) {
    // Our own playlists name segments beside them; anything climbing out of the storage root is not followed.
    if (k.startsWith('../') || k.startsWith('/')) throw new Error(`playlist ${key} names an object outside storage: ${k}`);
    if (local.has(k)) continue;
    const name = `s${i}${posix.extname(k)}`;
    await download(backend, k, join(dir, name));
    local.set(k, name);
  }
  const rewritten = text.split(/\r?\n/).map((raw) => {
    const line = raw.trim();
    if (!line) return raw;
    if (line.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (m, uri: string) => {
      const name = local.get(posix.normalize(posix.join(posix.dirname(key), uri)));
      return name ? `URI="${name}"` : m;
    });
    return local.get(posix.normalize(posix.join(posix.dirname(key), line))) ?? raw;
  }).join('\n');
  const path = join(dir, 'input.m3u8');
  await writeFile(path, rewritten);
  return path;
}
