// The one media file every stream is pushed from: 640x360 25 fps H.264 at 800 kbit/s with a
// keyframe every 2 s, plus AAC — made once with ffmpeg's lavfi generators by the test kit's
// recipe and cached in the temp folder (the same file the end-to-end tests use).
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
