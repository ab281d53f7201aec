import ffmpeg from 'fluent-ffmpeg';

export interface Mp4Rendition {
  /** Pixels; 0 keeps the aspect ratio from the other dimension (both 0: the source's size). */
  width: number;
  height: number;
  /** kbit/s; 0: constant quality (CRF 23) for video, 128 for audio. */
  videoBitrateKbps: number;
  audioBitrateKbps: number;
}

/** The scale filter of a rendition: -2 keeps the aspect ratio and an even size (H.264 needs one). */
export function scaleFilter(r: Pick<Mp4Rendition, 'width' | 'height'>): string | null {
  if (!r.width && !r.height) return null;
  return `scale=${r.width || -2}:${r.height || -2}`;
}

/** Transcodes a file to H.264/AAC MP4 (index at the front): an offline post-processing job. */
export function transcodeToMp4(input: string, output: string, r: Mp4Rendition): Promise<void> {
  const scale = scaleFilter(r);
  const video = r.videoBitrateKbps ? ['-b:v', `${r.videoBitrateKbps}k`] : ['-crf', '23'];
  return new Promise<void>((resolve, reject) => {
    ffmpeg()
      .input(input)
      .inputOptions(['-hide_banner', '-nostdin'])
      .outputOptions([
        '-map', '0:v:0?', '-map', '0:a:0?', ...(scale ? ['-vf', scale] : []),
        '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...video,
        '-c:a', 'aac', '-b:a', `${r.audioBitrateKbps || 128}k`,
        '-movflags', '+faststart', '-f', 'mp4', '-y',
      ])
      .output(output)
      .on('end', () => resolve())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => reject(new Error(`transcode failed: ${err.message}: ${String(stderr).split('\n').slice(-4).join(' ')}`)))
      .run();
  });
}
