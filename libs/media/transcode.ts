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

/**
 * Transcodes a file to H.264/AAC MP4 (index at the front): an offline post-processing job.
 * `signal` stops it (a worker shutting down): ffmpeg is killed and the promise rejects with
 * the signal's reason.
 */
export function transcodeToMp4(input: string, output: string, r: Mp4Rendition, signal?: AbortSignal): Promise<void> {
  const scale = scaleFilter(r);
  const video = r.videoBitrateKbps ? ['-b:v', `${r.videoBitrateKbps}k`] : ['-crf', '23'];
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => command.kill('SIGKILL');
    const command = ffmpeg()
      .input(input)
      .inputOptions(['-hide_banner', '-nostdin'])
      .outputOptions([
        '-map', '0:v:0?', '-map', '0:a:0?', ...(scale ? ['-vf', scale] : []),
        '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...video,
        '-c:a', 'aac', '-b:a', `${r.audioBitrateKbps || 128}k`,
        '-movflags', '+faststart', '-f', 'mp4', '-y',
      ])
      .output(output)
      .on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      })
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        signal?.removeEventListener('abort', onAbort);
        // The output of a killed ffmpeg is garbage; the caller does the job again later.
        if (signal?.aborted) reject(signal.reason as Error);
        else reject(new Error(`transcode failed: ${err.message}: ${String(stderr).split('\n').slice(-4).join(' ')}`));
      });
    signal?.addEventListener('abort', onAbort, { once: true });
    command.run();
  });
}
