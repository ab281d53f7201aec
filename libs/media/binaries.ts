import { spawnSync } from 'node:child_process';

/** Names the media binaries missing from PATH. */
export function missingMediaBinaries(): string[] {
  return ['ffmpeg', 'ffprobe'].filter((bin) => spawnSync(bin, ['-version'], { stdio: 'ignore' }).status !== 0);
}
