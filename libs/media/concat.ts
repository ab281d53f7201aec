import { writeFile } from 'node:fs/promises';
import ffmpeg from 'fluent-ffmpeg';

/** A line of ffmpeg's concat list: the path quoted, its single quotes escaped as the demuxer wants. */
export function concatListLine(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

/**
 * Joins files of one codec configuration end to end (the concat demuxer, media
 * copied, never re-encoded): the cycle files of one recording into one. mp4 gets
 * its index at the front.
 */
export async function concatFiles(inputs: string[], listPath: string, output: string, container: 'flv' | 'mp4'): Promise<void> {
  await writeFile(listPath, `${inputs.map(concatListLine).join('\n')}\n`);
  const movflags = container === 'mp4' ? ['-movflags', '+faststart'] : [];
  await new Promise<void>((resolve, reject) => {
    ffmpeg()
      .input(listPath)
      .inputOptions(['-hide_banner', '-nostdin', '-f', 'concat', '-safe', '0'])
      .outputOptions(['-map', '0:v?', '-map', '0:a?', '-c', 'copy', ...movflags, '-f', container, '-y'])
      .output(output)
      .on('end', () => resolve())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => reject(new Error(`concat failed: ${err.message}: ${String(stderr).split('\n').slice(-4).join(' ')}`)))
      .run();
  });
}
