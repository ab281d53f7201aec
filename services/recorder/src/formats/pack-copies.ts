import { link, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

// flv and mp4 files are joined from their segments when the cycle ends, but the
// uploader deletes a segment's spool copy once it is stored. A hard link made
// before the upload keeps the bytes for packaging at no copying cost.

export function packCopyOf(spoolDir: string, segmentPath: string): string {
  return join(spoolDir, 'pack', basename(segmentPath));
}

export async function keepForPackaging(spoolDir: string, segmentPath: string): Promise<void> {
  await mkdir(join(spoolDir, 'pack'), { recursive: true });
  await link(segmentPath, packCopyOf(spoolDir, segmentPath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** Removes every kept copy except those of the given segments (still needed by open files). */
export async function releasePackCopies(spoolDir: string, keepSegmentPaths: string[]): Promise<void> {
  const keep = new Set(keepSegmentPaths.map((p) => basename(p)));
  const names = await readdir(join(spoolDir, 'pack')).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => !keep.has(n)).map((n) => rm(join(spoolDir, 'pack', n), { force: true })));
}
