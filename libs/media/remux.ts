import ffmpeg from 'fluent-ffmpeg';

/** Remuxes a file (here: a composed FLV) to MP4 with its index at the front, media copied: an offline job. */
export function remuxToMp4(input: string, output: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    ffmpeg()
      .input(input)
      .inputOptions(['-hide_banner', '-nostdin'])
      .outputOptions(['-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '-y'])
      .output(output)
      .on('end', () => resolve())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => reject(new Error(`mp4 remux failed: ${err.message}: ${String(stderr).split('\n').slice(-4).join(' ')}`)))
      .run();
  });
}
