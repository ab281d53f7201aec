// A live transcode: one ffmpeg process reads FLV on stdin and writes FLV on
// stdout, H.264 (libx264) and AAC at a template's size, frame rate, GOP and
// bitrates. All fluent-ffmpeg use stays in libs/media (see remux.ts).
import { PassThrough, type Readable, type Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

export interface LiveTranscodeSettings {
  /** Output size; 0 for one of them keeps the source's aspect ratio. */
  width: number;
  height: number;
  fps: number;
  /** Keyframe interval in frames: fixed (no scene-cut keyframes), so renditions cut segments alike. */
  gop: number;
  videoKbps: number;
  audioKbps: number;
  /** The source has audio: transcode it to AAC (otherwise the rendition is video only). */
  audio: boolean;
}

export interface LiveTranscode {
  /** FLV in (file header first). End it to let ffmpeg flush and exit. */
  readonly input: Writable;
  /** FLV out. */
  readonly output: Readable;
  /** Resolves when ffmpeg exited after its input ended; rejects when it failed or was killed. */
  readonly done: Promise<void>;
  /** The process id once started (tests and logs). */
  pid(): number | null;
  /** Ends ffmpeg at once (SIGKILL): what it still held is dropped. */
  kill(): void;
}

/** ffmpeg's output options for a template (pure: the argument list is tested as such). */
export function liveTranscodeOutputOptions(s: LiveTranscodeSettings): string[] {
  // -2 keeps the aspect ratio with an even size, which 4:2:0 H.264 needs.
  const scale = `scale=${s.width || -2}:${s.height || -2}`;
  const video = [
    '-map', '0:v:0', '-vf', scale, '-r', String(s.fps),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-g', String(s.gop), '-keyint_min', String(s.gop), '-sc_threshold', '0',
    '-b:v', `${s.videoKbps}k`, '-maxrate', `${s.videoKbps}k`, '-bufsize', `${s.videoKbps * 2}k`,
  ];
  const audio = s.audio ? ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', `${s.audioKbps}k`] : ['-an'];
  // Each packet is written as it is made: the rendition stays close to its source.
  return [...video, ...audio, '-flush_packets', '1', '-flvflags', 'no_duration_filesize', '-f', 'flv'];
}

export function startLiveTranscode(s: LiveTranscodeSettings): LiveTranscode {
  const input = new PassThrough();
  const output = new PassThrough();
  const command = ffmpeg()
    .input(input)
    .inputOptions(['-hide_banner', '-loglevel', 'error', '-f', 'flv'])
    .outputOptions(liveTranscodeOutputOptions(s));
  const done = new Promise<void>((resolve, reject) => {
    command
      .on('end', () => resolve())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        reject(new Error(`live transcode failed: ${err.message}: ${String(stderr ?? '').split('\n').filter(Boolean).slice(-4).join(' ')}`));
      });
  });
  command.pipe(output, { end: true });
  // ffmpeg exiting while a write is pending makes stdin fail with EPIPE; `done` reports why it exited.
  input.on('error', () => undefined);
  const proc = () => (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc ?? null;
  return {
    input, output, done,
    pid: () => proc()?.pid ?? null,
    kill: () => {
      command.kill('SIGKILL');
    },
  };
}
