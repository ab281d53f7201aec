import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from '../telemetry/index.js';

export interface ClosedSegment {
  /** Absolute spool path of the finished segment. */
  path: string;
  durationMs: number;
  /** fMP4: the initialization segment this segment needs (one per segmenter run). */
  initPath?: string;
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
  /** Distinguishes the runs of one recording (names the fMP4 init segment). */
  generation?: number;
}

export interface Segmenter {
  stop(): Promise<void>;
}

/** The one interface a recorder needs from whatever cuts the live stream into segments. */
export type SegmenterFactory = (opts: SegmenterOptions) => Segmenter;

const PRIVATE_STREAM_WARNING = /muxed as a private data stream/;

/**
 * Pulls a live stream and cuts it at keyframes into segments, copying the media:
 * MPEG-TS segments through ffmpeg's segment muxer, whose list on stdout reports
 * each segment the moment it closes; fMP4 (CMAF) segments with their init
 * segment through the HLS muxer, whose playlist is followed as it grows.
 */
export const ffmpegSegmenter: SegmenterFactory = (opts) => (opts.container === 'fmp4' ? fmp4Segmenter(opts) : tsSegmenter(opts));

function tsSegmenter(opts: SegmenterOptions): Segmenter {
  mkdirSync(opts.dir, { recursive: true });
  let stdoutBuf = '';
  const cmd = ffmpeg(opts.input)
    .inputOptions(['-hide_banner', '-nostdin', '-rw_timeout', '5000000'])
    .outputOptions([
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy',
      '-f', 'segment', '-segment_time', String(opts.sliceSeconds),
      '-segment_format', 'mpegts',
      '-muxdelay', '0', '-reset_timestamps', '0',
      '-segment_start_number', String(opts.startNumber),
      '-segment_list', 'pipe:1', '-segment_list_type', 'csv',
    ])
    .output(join(opts.dir, `g${opts.generation ?? 0}-seg%06d.ts`));
  return runSegmenter(cmd, opts, {
    onStart(proc) {
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
    },
    onEnd() {},
  });
}

function fmp4Segmenter(opts: SegmenterOptions): Segmenter {
  mkdirSync(opts.dir, { recursive: true });
  const gen = opts.generation ?? 0;
  const playlist = join(opts.dir, `live-g${gen}.m3u8`);
  const initName = `init-g${gen}.mp4`;
  const seen = new Set<string>();
  let poll: NodeJS.Timeout | null = null;
  // The HLS muxer rewrites its playlist (atomically, temp_file) after every closed segment.
  const readPlaylist = () => {
    let text: string;
    try {
      text = readFileSync(playlist, 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^#EXTINF:([\d.]+)/.exec(lines[i]);
      const uri = lines[i + 1]?.trim();
      if (!m || !uri || uri.startsWith('#') || seen.has(uri)) continue;
      seen.add(uri);
      opts.onSegment({ path: join(opts.dir, uri), durationMs: Math.round(Number(m[1]) * 1000), initPath: join(opts.dir, initName) });
    }
  };
  const cmd = ffmpeg(opts.input)
    .inputOptions(['-hide_banner', '-nostdin', '-rw_timeout', '5000000'])
    .outputOptions([
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy',
      '-f', 'hls', '-hls_time', String(opts.sliceSeconds), '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', initName, '-hls_segment_filename', join(opts.dir, `g${gen}-seg%06d.m4s`),
      '-start_number', String(opts.startNumber), '-hls_list_size', '0', '-hls_playlist_type', 'event',
      '-hls_flags', '+temp_file',
    ])
    .output(playlist);
  return runSegmenter(cmd, opts, {
    onStart() {
      poll = setInterval(readPlaylist, 250);
    },
    onEnd() {
      if (poll) clearInterval(poll);
      readPlaylist();
    },
  });
}

function runSegmenter(cmd: ffmpeg.FfmpegCommand, opts: SegmenterOptions, hooks: { onStart(proc: ChildProcess): void; onEnd(): void }): Segmenter {
  // If this process dies, its segmenters must not go on pulling and writing into a spool another worker
  // takes over: they get SIGINT (and close their segment cleanly) when their parent goes.
  const guarded = childGuardPath();
  if (guarded) cmd.setFfmpegPath(guarded);
  const warnings: string[] = [];
  let stopRequested = false;
  let exited = false;
  let resolveExit!: () => void;
  const exitedPromise = new Promise<void>((r) => (resolveExit = r));

  const finish = (error: string | null) => {
    if (exited) return;
    exited = true;
    hooks.onEnd();
    resolveExit();
    opts.onExit({ requested: stopRequested, error: stopRequested ? null : error, warnings });
  };

  cmd.on('start', (commandLine: string) => {
    opts.log.debug({ commandLine }, 'segmenter started');
    // fluent-ffmpeg exposes the child only through this undocumented field.
    hooks.onStart((cmd as unknown as { ffmpegProc: ChildProcess }).ffmpegProc);
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
}

let guardPath: string | null | undefined;

/** The wrapper that runs ffmpeg with a parent-death signal (util-linux setpriv), when the machine has setpriv. */
function childGuardPath(): string | null {
  guardPath ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0 ? fileURLToPath(new URL('./ffmpeg-guard.sh', import.meta.url)) : null;
  return guardPath;
}
