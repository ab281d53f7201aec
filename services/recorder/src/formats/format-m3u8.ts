import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composePlaylist } from '../../../../libs/hls/index.js';
import type { FormatPackager } from './format.js';

/** m3u8 (TS segments) and cmaf (fMP4 segments): a VOD playlist over the file's segments. */
export const m3u8Packager: FormatPackager = {
  contentType: 'application/vnd.apple.mpegurl',
  extension: '.m3u8',
  async package(ctx) {
    const body = composePlaylist({ playlistKey: ctx.objectKey, segments: ctx.segments });
    const dir = join(ctx.spoolDir, 'files');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${ctx.file.format}-${ctx.file.sequence}.m3u8`);
    await writeFile(path, body);
    return path;
  },
};
