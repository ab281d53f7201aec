import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { composeFlv, remuxToMp4 } from '../../../../libs/media/index.js';
import type { FormatPackager, PackagingContext } from './format.js';

async function composeCycleFlv(ctx: PackagingContext, out: string): Promise<void> {
  if (ctx.segments.some((s) => !s.flvPartKey)) throw new Error(`file ${ctx.file.format} #${ctx.file.sequence} has segments without an FLV part`);
  await composeFlv(ctx.segments.length, (i) => ctx.readPart(ctx.segments[i]), out);
}

/** flv: the cycle's FLV parts appended into one file (tags as the publisher sent them). */
export const flvPackager: FormatPackager = {
  contentType: 'video/x-flv',
  extension: '.flv',
  async package(ctx) {
    const dir = join(ctx.spoolDir, 'files');
    await mkdir(dir, { recursive: true });
    const out = join(dir, `flv-${ctx.file.sequence}.flv`);
    await composeCycleFlv(ctx, out);
    return out;
  },
};

/** mp4: the same packets remuxed (offline, ffmpeg) with the index at the front. */
export const mp4Packager: FormatPackager = {
  contentType: 'video/mp4',
  extension: '.mp4',
  async package(ctx) {
    const dir = join(ctx.spoolDir, 'files');
    await mkdir(dir, { recursive: true });
    const flv = join(dir, `mp4-${ctx.file.sequence}.src.flv`);
    const out = join(dir, `mp4-${ctx.file.sequence}.mp4`);
    try {
      await composeCycleFlv(ctx, flv);
      await remuxToMp4(flv, out);
    } finally {
      await rm(flv, { force: true });
    }
    return out;
  },
};
