import { rm, writeFile } from 'node:fs/promises';
import ffmpeg from 'fluent-ffmpeg';

/**
 * Joins a cycle's segments into one FLV or MP4 file, media copied. The concat
 * demuxer lays the segments end to end, so a file that spans a reconnect still
 * has continuous timestamps. MP4 gets its index at the front (faststart) so it
 * starts playing before it is fully downloaded.
 */
export async function packageSegments(segmentPaths: string[], output: string, format: 'flv' | 'mp4'): Promise<void> {
  if (segmentPaths.length === 0) throw new Error('packaging needs at least one segment');
  const list = `${output}.concat.txt`;
  await writeFile(list, segmentPaths.map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join('\n') + '\n');
  try {
    await concat(list, output, format);
  } finally {
    await rm(list, { force: true });
  }
}

function concat(list: string, output: string, format: 'flv' | 'mp4'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    ffmpeg()
      .input(list)
      .inputOptions(['-hide_banner', '-nostdin', '-f', 'concat', '-safe', '0'])
      .outputOptions([
        '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-bsf:a', 'aac_adtstoasc',
        ...(format === 'mp4' ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'flv']),
        '-y',
      ])
      .output(output)
      .on('end', () => resolve())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => reject(new Error(`packaging ${format} failed: ${err.message}: ${String(stderr).split('\n').slice(-4).join(' ')}`)))
      .run();
  });
}
