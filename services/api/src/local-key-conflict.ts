import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Why an object key cannot be written under a local-disk storage root, or null:
 * on disk a key's parts are folders, so a key inside an existing object
 * (`clips/a.m3u8/b`) or a key that is an existing folder (`clips`) has no
 * place. Checked before the index is asked, so the caller learns which object
 * is in the way instead of an internal error from mkdir.
 */
export async function localKeyConflict(root: string, key: string): Promise<string | null> {
  const parts = key.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    let isDir: boolean;
    try {
      isDir = (await stat(join(root, prefix))).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // nothing further down exists either
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return `${parts.slice(0, i - 1).join('/')} is a stored object, not a folder`;
      throw err;
    }
    if (i < parts.length && !isDir) return `${prefix} is a stored object, not a folder`;
    if (i === parts.length && isDir) return `${prefix} is a folder of stored objects`;
  }
  return null;
}
