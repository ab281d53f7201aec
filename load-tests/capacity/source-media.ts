// The one media file every stream is pushed from: 640x360 25 fps H.264 at 800 kbit/s with a
// keyframe every 2 s, plus AAC — made once with ffmpeg's lavfi generators by the test kit's
// recipe and cached in the temp folder (the same file the end-to-end tests use).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestMedia } from '../../test-kit/index.js';

/**
 * Length of the source file. Shorter than most pushes on purpose: the generator loops it
 * (-stream_loop -1), and ffmpeg keeps timestamps continuous across the loop point, so a
 * recording of a looped push must show no gap there either.
 */
export const SOURCE_SECONDS = 30;

export function sourceMedia(): string {
  return makeTestMedia('h264-aac', SOURCE_SECONDS);
}

export interface SourceSize {
  width: number;
  height: number;
  /** Video bitrate, kbit/s. */
  videoKbps: number;
  /** Strength of ffmpeg's temporal `noise` filter over the test pattern (0: none): testsrc2 alone is far easier to encode than a camera. */
  noise?: number;
}

/**
 * A larger source for the transcoding benchmark (a 720p rendition of a 360p source would be an
 * upscale): the same recipe as sourceMedia() — testsrc2 + a 440 Hz sine, 25 fps, H.264 with a
 * keyframe every 2 s, AAC 96 kbit/s, SOURCE_SECONDS long — at the given size and bitrate.
 * Made once, cached in $TMPDIR/lr-media.
 */
export function sourceMediaAt(size: SourceSize): string {
  const noise = size.noise ?? 0;
  const dir = join(tmpdir(), 'lr-media');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `h264-aac-${size.width}x${size.height}-${size.videoKbps}k${noise ? `-noise${noise}` : ''}-${SOURCE_SECONDS}s.flv`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size.width}x${size.height}:rate=25${noise ? `,noise=alls=${noise}:allf=t` : ''}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(SOURCE_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
    '-b:v', `${size.videoKbps}k`, '-maxrate', `${size.videoKbps}k`, '-bufsize', `${size.videoKbps * 2}k`, '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', tmp,
  ]);
  if (r.status !== 0) throw new Error(`could not make the source media: ${r.stderr}`);
  renameSync(tmp, file);
  return file;
}
