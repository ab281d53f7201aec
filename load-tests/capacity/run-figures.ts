// Turns one run's raw measurements into the figures of the report: per-stream verdicts
// (every pushed packet recorded, in every format?) and the per-run summary.
import type { LoadGeneratorResult } from './load-generator.js';
import type { TreeUsage } from './process-tree-sampler.js';
import type { CheckedFormat, FileCheck, PushedReference } from './recording-check.js';
import { CHECKED_FORMATS, type SettleResult, type TimingReport } from './system-under-test.js';

const MB = 1024 * 1024;

export interface FormatResult {
  files: number;
  videoPackets: number;
  audioPackets: number;
  /** Recorded packets / pushed packets (1 = every packet; above 1 = duplicates). */
  videoCoverage: number;
  audioCoverage: number;
  /** Video timestamp steps larger than 1.5 frame durations (lost packets, or a shifted timeline when coverage is 100 %). */
  videoGaps: number;
  largestVideoGapSeconds: number;
  audioGaps: number;
  backwardJumps: number;
  discontinuityTags: number;
  filesWithProbeErrors: number;
  probeErrorSample: string;
}

export interface StreamResult {
  stream: string;
  pushed: { videoPackets: number; audioPackets: number };
  /** The generator's tee muxer gave up on this output: the server refused or dropped the connection. */
  pushFailed: boolean;
  formats: Record<CheckedFormat, FormatResult>;
  /** Every format is there and holds every pushed video and audio packet, with no ffprobe error. */
  lossless: boolean;
  /** Every format is there and holds every pushed video packet. */
  videoLossless: boolean;
  /** No video timestamp gap in any format. */
  gapFree: boolean;
  problems: string[];
}

export interface Spread {
  worst: number | null;
  median: number | null;
}

export interface RunResult {
  system: string;
  /** False for a reference point that records nothing (liverecord-ingest): only its cost counts. */
  records: boolean;
  n: number;
  seconds: number;
  startedAt: string;
  idle: { cpuCores: number; rssMB: number; seconds: number };
  server: {
    cpuSeconds: number;
    /** From just before the push to the end of the wait for the recordings. */
    wallSeconds: number;
    cpuSecondsPerStreamMinute: number;
    /** The same minus what the idle server burns over the same wall time. */
    cpuSecondsPerStreamMinuteNetOfIdle: number;
    peakRssMB: number;
    rssPerStreamMB: number;
    incrementalRssPerStreamMB: number;
    peakProcessCount: number;
    peakByCommand: Record<string, number>;
    /** Peak RSS in MB by process kind (each kind's own peak, so they need not add up to peakRssMB). */
    peakRssMBByCommand: Record<string, number>;
    /** CPU-s per stream-minute by process kind (node, nats-server, nginx, ...): where the cost is. */
    cpuSecondsPerStreamMinuteByCommand: Record<string, number>;
  };
  generator: {
    processes: number;
    /** Longer than the push when the generator could not keep real time (a blocked server). */
    wallSeconds: number;
    cpuSeconds: number | null;
    cpuSecondsPerStreamMinute: number | null;
    maxRssMB: number | null;
    failedOutputs: number;
    exitCodes: (number | null)[];
  };
  settle: { complete: boolean; waitedSeconds: number };
  /** Streams with at least one file of the format when the wait ended. */
  filesPresent: Record<CheckedFormat, number>;
  coverage: Record<CheckedFormat, { video: Spread; audio: Spread }>;
  filesWithProbeErrors: number;
  videoGaps: number;
  losslessStreams: number;
  /** Every stream lossless (see StreamResult.lossless). */
  zeroLoss: boolean;
  /** Zero loss and no video timestamp gap anywhere. */
  zeroLossNoGaps: boolean;
  zeroVideoLoss: boolean;
  /** A few of the problems found, for the report. */
  problemSample: string[];
  timings: TimingReport | null;
  /** Processes of the server still alive after it was stopped (killed by the benchmark). */
  leftoverProcessesKilled: number;
  /** With --keep: where the recordings were left. */
  keptDataDir?: string;
  streams: StreamResult[];
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { worst: null, median: null };
  const s = [...values].sort((a, b) => a - b);
  return { worst: s[0], median: s[Math.floor((s.length - 1) / 2)] };
}

/** Which of the generator's outputs failed, by stream name. */
function failedStreams(gen: LoadGeneratorResult): Set<string> {
  const failed = new Set<string>();
  for (const p of gen.processes) {
    for (const line of p.failedOutputs) {
      // "Slave '[f=flv...]rtmp://host:port/live/s7': error ..." names the output;
      const named = /rtmp:\/\/[^/\s]+\/[^/\s]+\/([A-Za-z0-9_-]+)/.exec(line);
      if (named) failed.add(named[1]);
      // "Slave muxer #3 failed: ..." numbers it (slave #0 is the reference file).
      const numbered = /Slave muxer #(\d+)/.exec(line);
      if (numbered) {
        const name = p.streamNames[Number(numbered[1]) - 1];
        if (name) failed.add(name);
      }
    }
  }
  return failed;
}

export function streamResult(stream: string, pushed: PushedReference, checks: Record<CheckedFormat, FileCheck[]>, pushFailed: boolean): StreamResult {
  const problems: string[] = [];
  if (pushFailed) problems.push('push failed (the generator gave up on this output)');
  const formats = {} as Record<CheckedFormat, FormatResult>;
  for (const fmt of CHECKED_FORMATS) {
    const files = checks[fmt];
    const sum = (f: (c: FileCheck) => number) => files.reduce((a, c) => a + f(c), 0);
    const withErrors = files.filter((c) => c.ffprobeErrors);
    const r: FormatResult = {
      files: files.length,
      videoPackets: sum((c) => c.videoPackets),
      audioPackets: sum((c) => c.audioPackets),
      videoCoverage: pushed.videoPackets ? sum((c) => c.videoPackets) / pushed.videoPackets : 0,
      audioCoverage: pushed.audioPackets ? sum((c) => c.audioPackets) / pushed.audioPackets : 0,
      videoGaps: sum((c) => c.videoGaps.gaps),
      largestVideoGapSeconds: Math.max(0, ...files.map((c) => c.videoGaps.largestGapSeconds)),
      audioGaps: sum((c) => c.audioGaps.gaps),
      backwardJumps: sum((c) => c.videoGaps.backwardJumps),
      discontinuityTags: sum((c) => c.playlist?.discontinuities ?? 0),
      filesWithProbeErrors: withErrors.length,
      probeErrorSample: withErrors[0]?.ffprobeErrors.split('\n').slice(0, 3).join(' / ') ?? '',
    };
    formats[fmt] = r;
    if (r.files === 0) problems.push(`${fmt}: no file`);
    else {
      if (r.videoPackets < pushed.videoPackets) problems.push(`${fmt}: ${r.videoPackets}/${pushed.videoPackets} video packets`);
      if (r.audioPackets < pushed.audioPackets) problems.push(`${fmt}: ${r.audioPackets}/${pushed.audioPackets} audio packets`);
      if (r.videoGaps > 0) problems.push(`${fmt}: ${r.videoGaps} video timestamp gap(s) > 1.5 frames, largest ${r.largestVideoGapSeconds.toFixed(3)} s`);
      if (r.filesWithProbeErrors > 0) problems.push(`${fmt}: ffprobe errors: ${r.probeErrorSample}`);
    }
  }
  const videoLossless = !pushFailed && CHECKED_FORMATS.every((f) => formats[f].files > 0 && formats[f].videoPackets >= pushed.videoPackets);
  const lossless = videoLossless && CHECKED_FORMATS.every((f) => formats[f].audioPackets >= pushed.audioPackets && formats[f].filesWithProbeErrors === 0);
  const gapFree = CHECKED_FORMATS.every((f) => formats[f].videoGaps === 0);
  return { stream, pushed: { videoPackets: pushed.videoPackets, audioPackets: pushed.audioPackets }, pushFailed, formats, lossless, videoLossless, gapFree, problems };
}

export interface RunInputs {
  system: string;
  /** False for a reference point that records nothing: cost figures only, no streams checked. */
  records: boolean;
  n: number;
  seconds: number;
  startedAt: string;
  idle: { cpuSeconds: number; wallSeconds: number; rssBytes: number };
  usage: TreeUsage;
  generator: LoadGeneratorResult;
  settle: SettleResult;
  timings: TimingReport | null;
  leftoverProcessesKilled: number;
  references: Map<string, PushedReference>;
  checks: Map<string, Record<CheckedFormat, FileCheck[]>>;
}

export function runResult(i: RunInputs): RunResult {
  const failed = failedStreams(i.generator);
  const streams = !i.records ? [] : [...i.checks.entries()].map(([stream, checks]) =>
    streamResult(stream, i.references.get(i.generator.referenceFileOf(stream))!, checks, failed.has(stream)));
  const streamMinutes = (i.n * i.seconds) / 60;
  const idleCores = i.idle.wallSeconds > 0 ? i.idle.cpuSeconds / i.idle.wallSeconds : 0;
  const filesPresent = Object.fromEntries(CHECKED_FORMATS.map((f) => [f, streams.filter((s) => s.formats[f].files > 0).length])) as Record<CheckedFormat, number>;
  const coverage = Object.fromEntries(CHECKED_FORMATS.map((f) => [f, {
    video: spread(streams.map((s) => s.formats[f].videoCoverage)),
    audio: spread(streams.map((s) => s.formats[f].audioCoverage)),
  }])) as RunResult['coverage'];
  const maxRss = i.generator.processes.every((p) => p.maxRssBytes !== null) ? i.generator.processes.reduce((a, p) => a + p.maxRssBytes!, 0) / MB : null;
  return {
    system: i.system,
    records: i.records,
    n: i.n,
    seconds: i.seconds,
    startedAt: i.startedAt,
    idle: { cpuCores: idleCores, rssMB: i.idle.rssBytes / MB, seconds: i.idle.wallSeconds },
    server: {
      cpuSeconds: i.usage.cpuSeconds,
      wallSeconds: i.usage.wallSeconds,
      cpuSecondsPerStreamMinute: i.usage.cpuSeconds / streamMinutes,
      cpuSecondsPerStreamMinuteNetOfIdle: Math.max(0, i.usage.cpuSeconds - idleCores * i.usage.wallSeconds) / streamMinutes,
      peakRssMB: i.usage.peakRssBytes / MB,
      rssPerStreamMB: i.usage.peakRssBytes / MB / i.n,
      incrementalRssPerStreamMB: Math.max(0, i.usage.peakRssBytes - i.idle.rssBytes) / MB / i.n,
      peakProcessCount: i.usage.peakProcessCount,
      peakByCommand: i.usage.peakByCommand,
      peakRssMBByCommand: Object.fromEntries(Object.entries(i.usage.peakRssBytesByCommand).map(([comm, rss]) => [comm, rss / MB])),
      cpuSecondsPerStreamMinuteByCommand: Object.fromEntries(Object.entries(i.usage.cpuSecondsByCommand).map(([comm, cpu]) => [comm, cpu / streamMinutes])),
    },
    generator: {
      processes: i.generator.processes.length,
      wallSeconds: i.generator.wallSeconds,
      cpuSeconds: i.generator.cpuSeconds,
      cpuSecondsPerStreamMinute: i.generator.cpuSecondsPerStreamMinute,
      maxRssMB: maxRss,
      failedOutputs: failed.size,
      exitCodes: i.generator.processes.map((p) => p.exitCode),
    },
    settle: { complete: i.settle.complete, waitedSeconds: i.settle.waitedSeconds },
    filesPresent,
    coverage,
    filesWithProbeErrors: streams.reduce((a, s) => a + CHECKED_FORMATS.reduce((b, f) => b + s.formats[f].filesWithProbeErrors, 0), 0),
    videoGaps: streams.reduce((a, s) => a + CHECKED_FORMATS.reduce((b, f) => b + s.formats[f].videoGaps, 0), 0),
    losslessStreams: streams.filter((s) => s.lossless).length,
    zeroLoss: streams.length === i.n && streams.every((s) => s.lossless),
    zeroLossNoGaps: streams.length === i.n && streams.every((s) => s.lossless && s.gapFree),
    zeroVideoLoss: streams.length === i.n && streams.every((s) => s.videoLossless),
    problemSample: streams.flatMap((s) => s.problems.map((p) => `${s.stream}: ${p}`)).slice(0, 12),
    timings: i.timings,
    leftoverProcessesKilled: i.leftoverProcessesKilled,
    streams,
  };
}
