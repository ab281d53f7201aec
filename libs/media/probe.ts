import { execFile } from 'node:child_process';

export interface ProbedMedia {
  durationMs: number;
  width: number;
  height: number;
}

/** Duration and video size of a media file, from ffprobe. */
export function probeMedia(path: string): Promise<ProbedMedia> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,width,height', '-of', 'json', path], { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`ffprobe ${path} failed: ${err.message}: ${String(stderr).trim().slice(0, 300)}`));
        return;
      }
      const j = JSON.parse(stdout) as { format?: { duration?: string }; streams?: { codec_type?: string; width?: number; height?: number }[] };
      const video = (j.streams ?? []).find((s) => s.codec_type === 'video');
      resolve({ durationMs: Math.round(Number(j.format?.duration ?? 0) * 1000), width: video?.width ?? 0, height: video?.height ?? 0 });
    });
  });
}
