import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { isSafeKey } from '../naming/index.js';
import type { StorageBackend, StoredInfo } from './storage-backend.js';

export async function sha256File(path: string): Promise<StoredInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Objects as files under one root folder; the key is the relative path. */
export class LocalDiskStorage implements StorageBackend {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(root: string, private readonly publicBaseUrl: string) {
    this.root = resolve(root);
  }

  /** The file of a key; refuses any key that could leave the root. */
  pathOf(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe object key "${key}"`);
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`object key "${key}" escapes the storage root`);
    return path;
  }

  /** Write to a temporary name then rename: a reader never sees half an object, and a retry simply replaces it. */
  private async writeAtomically(key: string, write: (tmp: string) => Promise<void>): Promise<StoredInfo> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.part-${process.pid}-${Date.now()}`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
    return sha256File(target);
  }

  put(key: string, localPath: string): Promise<StoredInfo> {
    return this.writeAtomically(key, (tmp) => copyFile(localPath, tmp));
  }

  putBytes(key: string, body: Buffer): Promise<StoredInfo> {
    return this.writeAtomically(key, (tmp) => writeFile(tmp, body));
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.pathOf(key)).then((s) => s.isFile(), () => false);
  }

  async stat(key: string): Promise<StoredInfo | null> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch {
      return null;
    }
    return sha256File(path);
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    return createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  urlOf(key: string): string {
    return this.publicBaseUrl + key;
  }
}
