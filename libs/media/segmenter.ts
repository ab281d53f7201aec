import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from '../telemetry/index.js';

export interface ClosedSegment {
  /** Absolute spool path of the finished segment. */
  path: string;
  durationMs: number;
}

export interface SegmenterOptions {
  input: string;
  dir: string;
  sliceSeconds: number;
  startNumber: number;
  container: 'ts' | 'fmp4';
  log: Logger;
  onSegment(segment: ClosedSegment): void;
  /** Called once; `requested` is true when stop() asked for it. */
  onExit(result: { requested: boolean; error: string | null; warnings: string[] }): void;
}

export interface Segmenter {
  stop(): Promise<void>;
}

/** The one interface a recorder needs from whatever cuts the live stream into segments. */
export type SegmenterFactory = (opts: SegmenterOptions) => Segmenter;

const PRIVATE_STREAM_WARNING = /muxed as a private data stream/;

/**
 * Pulls a live stream and cuts it at keyframes into segments, copying the media.
 * ffmpeg's segment list on stdout reports each segment the moment it closes.
 */
export const ffmpegSegmenter: SegmenterFactory = (opts) => {
  mkdirSync(opts.dir, { recursive: true });
  const ext = opts.container === 'fmp4' ? 'm4s' : 'ts';
  const format = opts.container === 'fmp4' ? 'mp4' : 'mpegts';
  const warnings: string[] = [];
  let stopRequested = false;
  let exited = false;
  let resolveExit!: () => void;
  const exitedPromise = new Promise<void>((r) => (resolveExit = r));
  let stdoutBuf = '';

  const cmd = ffmpeg(opts.input)
    .inputOptions(['-hide_banner', '-nostdin', '-rw_timeout', '5000000'])
    .outputOptions([
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy',
      '-f', 'segment', '-segment_time', String(opts.sliceSeconds),
      '-segment_format', format,
      ...(opts.container === 'fmp4' ? ['-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof'] : []),
      '-muxdelay', '0', '-reset_timestamps', '0',
      '-segment_start_number', String(opts.startNumber),
      '-segment_list', 'pipe:1', '-segment_list_type', 'csv',
    ])
    .output(join(opts.dir, `seg%06d.${ext}`));

  const finish = (error: string | null) => {
    if (exited) return;
    exited = true;
    resolveExit();
    opts.onExit({ requested: stopRequested, error: stopRequested ? null : error, warnings });
  };

  cmd.on('start', (commandLine: string) => {
    opts.log.debug({ commandLine }, 'segmenter started');
    // fluent-ffmpeg exposes the child only through this undocumented field.
    const proc = (cmd as unknown as { ffmpegProc: import('node:child_process').ChildProcess }).ffmpegProc;
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdoutBuf += chunk.toString('utf8');
      let nl: number;
      while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
        const line = stdoutBuf.slice(0, nl).trim();
        stdoutBuf = stdoutBuf.slice(nl + 1);
        const [file, start, end] = line.split(',');
        if (!file || start === undefined || end === undefined) continue;
        opts.onSegment({ path: join(opts.dir, file), durationMs: Math.max(0, Math.round((Number(end) - Number(start)) * 1000)) });
      }
    });
  });
  cmd.on('stderr', (line: string) => {
    if (PRIVATE_STREAM_WARNING.test(line)) warnings.push(line.trim());
  });
  cmd.on('error', (err: Error) => finish(err.message));
  cmd.on('end', () => finish(null));
  cmd.run();

  return {
    async stop() {
      if (exited) return;
      stopRequested = true;
      // One SIGINT lets ffmpeg close the segment it is writing; SIGKILL would truncate it.
      cmd.kill('SIGINT');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 8000).unref());
      if ((await Promise.race([exitedPromise.then(() => 'done' as const), timeout])) === 'timeout') {
        opts.log.warn('segmenter ignored SIGINT; killing it');
        cmd.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };
};
