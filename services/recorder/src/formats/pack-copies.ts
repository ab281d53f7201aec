import { appendFile, copyFile, link, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

// flv and mp4 files are joined from their segments when the cycle ends, but the
// uploader deletes a segment's spool copy once it is stored. A hard link made
// before the upload keeps the bytes for packaging at no copying cost.

export function packCopyOf(spoolDir: string, segmentPath: string): string {
  return join(spoolDir, 'pack', basename(segmentPath));
}

async function linkOnce(from: string, to: string): Promise<void> {
  await link(from, to).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** Keeps a segment (and, for fMP4, the init segment it needs) until its files are joined. */
export async function keepForPackaging(spoolDir: string, segmentPath: string, initPath?: string): Promise<void> {
  await mkdir(join(spoolDir, 'pack'), { recursive: true });
  await linkOnce(segmentPath, packCopyOf(spoolDir, segmentPath));
  if (initPath) await linkOnce(initPath, packCopyOf(spoolDir, initPath));
}

/**
 * The inputs to join for a file: TS segments as they are; fMP4 segments as one
 * fragmented MP4 per segmenter run (its init segment, then its segments), which
 * is what an MP4 reader needs to keep their timestamps.
 */
export async function joinInputs(spoolDir: string, segments: { spoolPath: string; initSpoolPath?: string; sequence: number }[], tag: string): Promise<{ inputs: string[]; temporary: string[] }> {
  if (!segments.some((s) => s.initSpoolPath)) return { inputs: segments.map((s) => packCopyOf(spoolDir, s.spoolPath)), temporary: [] };
  const runs: { init: string; parts: string[]; first: number }[] = [];
  for (const s of segments) {
    const last = runs[runs.length - 1];
    if (last && last.init === s.initSpoolPath) last.parts.push(s.spoolPath);
    else runs.push({ init: s.initSpoolPath!, parts: [s.spoolPath], first: s.sequence });
  }
  const inputs: string[] = [];
  for (const run of runs) {
    const out = join(spoolDir, 'pack', `run-${tag}-${run.first}-${run.parts.length}.mp4`);
    await copyFile(packCopyOf(spoolDir, run.init), out);
    for (const part of run.parts) await appendFile(out, await readFile(packCopyOf(spoolDir, part)));
    inputs.push(out);
  }
  return { inputs, temporary: inputs };
}

/** Removes every kept copy except those of the given segments (still needed by open files). */
export async function releasePackCopies(spoolDir: string, keepSegmentPaths: string[]): Promise<void> {
  const keep = new Set(keepSegmentPaths.map((p) => basename(p)));
  const names = await readdir(join(spoolDir, 'pack')).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => !keep.has(n)).map((n) => rm(join(spoolDir, 'pack', n), { force: true })));
}
