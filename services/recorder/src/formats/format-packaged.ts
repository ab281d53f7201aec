import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { packageSegments } from '../../../../libs/media/index.js';
import type { FormatPackager } from './format.js';
import { joinInputs } from './pack-copies.js';

function packagedFormat(format: 'flv' | 'mp4', contentType: string): FormatPackager {
  return {
    contentType,
    extension: `.${format}`,
    async package(ctx) {
      const dir = join(ctx.spoolDir, 'files');
      await mkdir(dir, { recursive: true });
      const out = join(dir, `${format}-${ctx.file.sequence}.${format}`);
      const { inputs, temporary } = await joinInputs(ctx.spoolDir, ctx.file.segments, `${format}-${ctx.file.sequence}`);
      try {
        await packageSegments(inputs, out, format);
      } finally {
        await Promise.all(temporary.map((t) => rm(t, { force: true })));
      }
      return out;
    },
  };
}

/** flv: one file per cycle, joined from the cycle's segments when the file is finalized. */
export const flvPackager = packagedFormat('flv', 'video/x-flv');
/** mp4: the same, with the index at the front. */
export const mp4Packager = packagedFormat('mp4', 'video/mp4');
