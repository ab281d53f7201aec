// Publishes N RTMP streams from one media file with as few processes as possible.
//
// One ffmpeg reads the file once in real time (-re), loops it (-stream_loop -1),
// copies the packets (no decoding) and hands each one to the tee muxer, which
// writes it to every output. Measured: ≈0.09 CPU-s per stream-minute with 50
// outputs, against 0.83 for one ffmpeg per stream, so the generator stays a
// small, separately reported share of the machine.
//
// onfail=ignore: one refused or broken RTMP output must not stop the others.
// One extra output per process is a local FLV file: exactly the packets that
// process pushed, the reference every recording is compared with.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Outputs per ffmpeg: keeps the command line far below ARG_MAX and one process's fan-out moderate. */
export const DEFAULT_OUTPUTS_PER_PROCESS = 100;

export interface LoadGeneratorOptions {
  sourceFile: string;
  /** e.g. rtmp://127.0.0.1:1935/live */
  rtmpBase: string;
  streamNames: readonly string[];
  seconds: number;
  /** Folder for the reference FLV files (one per ffmpeg process). */
  workDir: string;
  outputsPerProcess?: number;
}

export interface GeneratorProcessResult {
  streamNames: string[];
  referenceFile: string;
  exitCode: number | null;
  /** From ffmpeg's -benchmark line (getrusage of the whole process); null if it did not print one. */
  cpuSeconds: number | null;
  maxRssBytes: number | null;
  /** Outputs the tee muxer gave up on, with ffmpeg's reason. */
  failedOutputs: string[];
  stderrTail: string;
}

export interface LoadGeneratorResult {
  processes: GeneratorProcessResult[];
  wallSeconds: number;
  /** Sum over the processes; null when any did not report. */
  cpuSeconds: number | null;
  /** CPU-seconds per stream-minute pushed. */
  cpuSecondsPerStreamMinute: number | null;
  referenceFileOf(stream: string): string;
}

export interface RunningLoadGenerator {
  done: Promise<LoadGeneratorResult>;
  /** Stops early: SIGINT (ffmpeg closes its outputs cleanly), SIGKILL after 5 s. */
  stop(): void;
}

/** The tee muxer's slave list; '|' separates slaves, so names and paths must not contain it. */
export function teeTargets(rtmpBase: string, streamNames: readonly string[], referenceFile: string): string {
  // flvflags=no_duration_filesize: an RTMP output cannot seek back to patch the header; this
  // keeps ffmpeg from trying (and warning) at the end.
  const rtmp = streamNames.map((s) => `[f=flv:onfail=ignore:flvflags=no_duration_filesize]${rtmpBase}/${s}`);
  return [`[f=flv]${referenceFile}`, ...rtmp].join('|');
}

export function startLoadGenerator(opts: LoadGeneratorOptions): RunningLoadGenerator {
  const perProcess = opts.outputsPerProcess ?? DEFAULT_OUTPUTS_PER_PROCESS;
  const groups: string[][] = [];
  for (let i = 0; i < opts.streamNames.length; i += perProcess) groups.push(opts.streamNames.slice(i, i + perProcess));
  const startedAt = Date.now();
  const children: ChildProcess[] = [];
  const referenceOf = new Map<string, string>();

  const runs = groups.map((names, index) => {
    const referenceFile = join(opts.workDir, `pushed-${index}.flv`);
    for (const n of names) referenceOf.set(n, referenceFile);
    const args = [
      '-hide_banner', '-nostdin', '-nostats',
      // info level is what carries the -benchmark lines and the tee's "slave failed" messages
      '-loglevel', 'info', '-benchmark',
      '-re', '-stream_loop', '-1', '-i', opts.sourceFile,
      '-map', '0', '-c', 'copy', '-t', String(opts.seconds),
      '-f', 'tee', teeTargets(opts.rtmpBase, names, referenceFile),
    ];
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000); // bounded
    });
    return new Promise<GeneratorProcessResult>((resolve) => {
      // 'close' rather than 'exit': the -benchmark lines are the last of stderr.
      child.once('close', (code) => resolve(parseRun(names, referenceFile, code, stderr)));
      child.once('error', (e) => resolve(parseRun(names, referenceFile, null, `could not start ffmpeg: ${e.message}`)));
    });
  });

  let killTimer: NodeJS.Timeout | null = null;
  const done = Promise.all(runs).then((processes): LoadGeneratorResult => {
    if (killTimer) clearTimeout(killTimer);
    const wallSeconds = (Date.now() - startedAt) / 1000;
    const cpuSeconds = processes.every((p) => p.cpuSeconds !== null) ? processes.reduce((a, p) => a + p.cpuSeconds!, 0) : null;
    const streamMinutes = (opts.streamNames.length * opts.seconds) / 60;
    return {
      processes,
      wallSeconds,
      cpuSeconds,
      cpuSecondsPerStreamMinute: cpuSeconds === null ? null : cpuSeconds / streamMinutes,
      referenceFileOf: (s) => referenceOf.get(s) ?? '',
    };
  });

  return {
    done,
    stop() {
      const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
      if (running.length === 0 || killTimer) return;
      for (const c of running) c.kill('SIGINT');
      killTimer = setTimeout(() => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, 5000);
    },
  };
}

function parseRun(streamNames: string[], referenceFile: string, exitCode: number | null, stderr: string): GeneratorProcessResult {
  // ffmpeg 5.1 -benchmark: "bench: utime=0.123s stime=0.045s rtime=20.010s" and "bench: maxrss=57456kB"
  const times = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  const rss = /bench: maxrss=(\d+)kB/.exec(stderr);
  // tee: "Slave '[f=flv...]rtmp://.../s7': error writing header: ..." / "Slave muxer #3 failed: ..., continuing with 9/10 slaves."
  const failedOutputs = stderr.split('\n').filter((l) => /\[tee @[^\]]*\].*(Slave|slave).*(fail|error)/.test(l)).map((l) => l.trim());
  return {
    streamNames,
    referenceFile,
    exitCode,
    cpuSeconds: times ? Number(times[1]) + Number(times[2]) : null,
    maxRssBytes: rss ? Number(rss[1]) * 1024 : null,
    failedOutputs,
    stderrTail: stderr.slice(-1500),
  };
}
