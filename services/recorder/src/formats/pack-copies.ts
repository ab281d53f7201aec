import { link, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

// flv and mp4 files are made from their segments' FLV parts when the cycle ends,
// but the uploader deletes a part's spool copy once it is stored. A hard link
// made before the upload keeps the bytes on this host at no copying cost;
// another host that adopts the recording reads the stored copies instead.

export function packCopyOf(spoolDir: string, partPath: string): string {
  return join(spoolDir, 'pack', basename(partPath));
}

export async function keepForPackaging(spoolDir: string, partPath: string): Promise<void> {
  await mkdir(join(spoolDir, 'pack'), { recursive: true });
  await link(partPath, packCopyOf(spoolDir, partPath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** The local copy of a part, or null when this host does not have it. */
export async function readPackCopy(spoolDir: string, partPath: string): Promise<Buffer | null> {
  return readFile(packCopyOf(spoolDir, partPath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

export async function dropPackCopies(spoolDir: string): Promise<void> {
  await rm(join(spoolDir, 'pack'), { recursive: true, force: true });
}
