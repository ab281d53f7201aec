import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { isSafeKey } from '../naming/index.js';
import { ChecksumMismatchError, sha256Bytes, sha256File } from './checksum.js';
import type { StorageBackend, StoredInfo, VerifiedPut } from './storage-backend.js';

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

  /**
   * Write to a temporary name, read it back, then rename: a reader never sees half an
   * object or a copy that differs from the source, and a retry simply replaces it.
   */
  private async writeVerified(key: string, expected: StoredInfo, write: (tmp: string) => Promise<void>): Promise<VerifiedPut> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.part-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
    try {
      await write(tmp);
      const written = await sha256File(tmp);
      if (written.size !== expected.size || written.sha256 !== expected.sha256) throw new ChecksumMismatchError(key, expected, written, 'read-back');
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
    return { ...expected, verifiedBy: 'read-back' };
  }

  /**
   * A spool file on the same filesystem is linked, not copied: the stored object
   * is the very inode that was hashed, so it cannot differ and needs no read-back.
   * Across filesystems it is copied and read back.
   */
  async put(key: string, localPath: string): Promise<VerifiedPut> {
    const expected = await sha256File(localPath);
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.part-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
    try {
      await link(localPath, tmp);
      await rename(tmp, target);
      return { ...expected, verifiedBy: 'read-back' };
    } catch (err) {
      await rm(tmp, { force: true });
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    return this.writeVerified(key, expected, (t) => copyFile(localPath, t));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  putBytes(key: string, body: Buffer): Promise<VerifiedPut> {
    return this.writeVerified(key, sha256Bytes(body), (tmp) => writeFile(tmp, body));
  }

  async stat(key: string): Promise<StoredInfo | null> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
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
