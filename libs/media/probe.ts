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
      let j: { format?: { duration?: string }; streams?: { codec_type?: string; width?: number; height?: number }[] };
      try {
        j = JSON.parse(stdout) as typeof j;
      } catch (parseErr) {
        // Inside a callback a throw would escape every handler: the caller gets it instead.
        reject(new Error(`ffprobe ${path} printed no JSON: ${(parseErr as Error).message}`));
        return;
      }
      const video = (j.streams ?? []).find((s) => s.codec_type === 'video');
      resolve({ durationMs: Math.round(Number(j.format?.duration ?? 0) * 1000), width: video?.width ?? 0, height: video?.height ?? 0 });
    });
  });
}
