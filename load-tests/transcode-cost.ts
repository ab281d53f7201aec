// What live transcoding (and live thumbnails) cost inside liverecord as `npm start` runs it:
// N streams pushed in phases on one running system, each phase on its own app with its own
// configuration — the source recorded alone (the baseline), the source plus a 480p rendition,
// plus a 720p rendition, plus thumbnails every 10 s, and the baseline again — every server
// process sampled, every rendition checked with ffprobe. Writes
// load-tests/reports/transcode-<date>.{json,md}.
//
//   npm run bench:transcode [-- --n 2 --seconds 60 --source 1280x720 --phases base,p480,p720,thumbs,base]
//
// Everything runs on loopback in a temp data folder; every process it starts is stopped.
// See load-tests/README.md for what the figures mean.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  AddCustomLiveStreamTranscodeRequest, AddLiveAppRecordConfigRequest, AddLiveAppSnapshotConfigRequest, type LiveRecordServiceClient,
} from '../libs/proto/index.js';
import { REPO_ROOT, grpcClient, startSystem, tempDir, unary, type RunningSystem } from '../test-kit/index.js';
import { startLoadGenerator, type LoadGeneratorResult, type RunningLoadGenerator } from './capacity/load-generator.js';
import { ProcessTreeSampler, killLeftovers, readProcStat, readTree, type TreeUsage } from './capacity/process-tree-sampler.js';
import { checkFile, checkReference, mapLimited, probeablePlaylist, type FileCheck, type PushedReference } from './capacity/recording-check.js';
import { sourceMediaAt } from './capacity/source-media.js';
import { filesBelow, sleep } from './capacity/system-under-test.js';
import { eachFlag, frameSize, knownList, positiveInt } from './bench-flags.js';
import { machineInfo } from './bench-machine.js';

// ---------------------------------------------------------------------------------------------
// Options and phases

interface Rendition {
  template: string;
  width: number;
  height: number;
  videoKbps: number;
  audioKbps: number;
}

/** A common ladder for 25 fps H.264/AAC (GOP 2 s, like the source, so segments cut alike). */
const RENDITIONS: Record<string, Rendition> = {
  p480: { template: 'p480', width: 854, height: 480, videoKbps: 1200, audioKbps: 96 },
  p720: { template: 'p720', width: 1280, height: 720, videoKbps: 2500, audioKbps: 128 },
};
const FPS = 25;
const GOP = 50;

type PhaseKind = 'base' | 'p480' | 'p720' | 'both' | 'thumbs';
const PHASE_KINDS: readonly PhaseKind[] = ['base', 'p480', 'p720', 'both', 'thumbs'];

interface Options {
  n: number;
  seconds: number;
  phases: PhaseKind[];
  source: { width: number; height: number; videoKbps: number; noise: number };
  sliceSeconds: number;
  delaySeconds: number;
  settleSeconds: number;
  thumbnailInterval: number;
  thumbnailResolution: string;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    n: 2, seconds: 60, phases: ['base', 'p480', 'p720', 'thumbs', 'base'],
    source: { width: 1280, height: 720, videoKbps: 3000, noise: 0 },
    sliceSeconds: 6, delaySeconds: 15, settleSeconds: 90, thumbnailInterval: 10, thumbnailResolution: 'source', keep: false,
  };
  eachFlag(argv, (flag, value, raw) => {
    switch (flag) {
      case '--n': o.n = positiveInt('n', value()); break;
      case '--seconds': o.seconds = positiveInt('seconds', value()); break;
      case '--phases': o.phases = knownList('phases', value(), PHASE_KINDS); break;
      case '--source': [o.source.width, o.source.height] = frameSize('source', value()); break;
      case '--source-kbps': o.source.videoKbps = positiveInt('source-kbps', value()); break;
      case '--noise': o.source.noise = positiveInt('noise', value()); break;
      case '--slice': o.sliceSeconds = positiveInt('slice', value()); break;
      case '--delay': o.delaySeconds = positiveInt('delay', value()); break;
      case '--settle': o.settleSeconds = positiveInt('settle', value()); break;
      case '--thumbnail-interval': o.thumbnailInterval = positiveInt('thumbnail-interval', value()); break;
      case '--thumbnail-resolution': o.thumbnailResolution = value(); break;
      case '--keep': o.keep = true; break;
      case '--help':
        console.log('npm run bench:transcode -- [--n 2] [--seconds 60] [--phases base,p480,p720,thumbs,base] [--source 1280x720] [--source-kbps 3000] [--noise 0] '
          + '[--slice 6] [--delay 15] [--settle 90] [--thumbnail-interval 10] [--thumbnail-resolution source] [--keep]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option "${raw}" (try --help)`);
    }
  });
  if (o.delaySeconds < 15) throw new Error('--delay: the record configuration API wants 15 s or more');
  return o;
}

function renditionsOf(kind: PhaseKind): Rendition[] {
  if (kind === 'p480') return [RENDITIONS.p480];
  if (kind === 'p720') return [RENDITIONS.p720];
  if (kind === 'both') return [RENDITIONS.p480, RENDITIONS.p720];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Per-process CPU inside the server's tree (which ffmpeg is which)

interface ProcCpu {
  /** utime + stime, seconds. */
  self: number;
  /** cutime + cstime: children that exited and were reaped, seconds. */
  children: number;
}

function readCpu(pid: number): (ProcCpu & { startTicks: number; comm: string }) | null {
  const s = readProcStat(pid);
  return s && { comm: s.comm, self: s.selfSeconds, children: s.childrenSeconds, startTicks: s.startTicks };
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return ''; // exited meanwhile
  }
}

/** What a server process is, from its command line. */
function classify(comm: string, cmd: string): string {
  if (comm === 'ffmpeg' || /(^|\/)ffmpeg\b/.test(cmd)) {
    if (/-c:v libx264/.test(cmd) && /-f flv/.test(cmd)) {
      const scale = /scale=(\d+):(\d+)/.exec(cmd);
      return `ffmpeg transcode ${scale ? `${scale[1]}x${scale[2]}` : '?'}`;
    }
    if (/tile=\d+x\d+/.test(cmd)) return 'ffmpeg sprite sheet';
    if (/mjpeg/.test(cmd)) return 'ffmpeg thumbnail';
    return 'ffmpeg other';
  }
  return comm;
}

interface TrackedProcess {
  pid: number;
  startTicks: number;
  kind: string;
  /** CPU when first seen in this phase (0 when born during it). */
  first: ProcCpu;
  last: ProcCpu;
  bornInPhase: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface KindUsage {
  processes: number;
  /** CPU (utime + stime) of the live processes of this kind during the phase, seconds. */
  cpuSeconds: number;
}

export interface Breakdown {
  byKind: Record<string, KindUsage>;
  /** CPU of children the node process reaped during the phase (short ffmpeg runs: thumbnails, probes, and the last < 1 sample of each transcode). */
  nodeReapedChildrenCpuSeconds: number;
  /** Per transcode process: its size, lifetime in the phase and CPU. */
  transcodes: { kind: string; pid: number; seconds: number; cpuSeconds: number }[];
  /** The command line of the first process of each ffmpeg kind (what it is). */
  examples: Record<string, string>;
  sampleEveryMs: number;
}

/**
 * Samples every process of the server's tree on its own (the tree sampler gives the total):
 * each one's own CPU, kept by pid and start time. A process's CPU after its last sample is
 * not seen here (at most one interval of it); its parent's cutime gets it, which the total counts.
 */
class BreakdownSampler {
  private readonly procs = new Map<string, TrackedProcess>();
  private timer: NodeJS.Timeout | null = null;
  private firstSample = true;
  private readonly cmdCache = new Map<string, string>();
  private readonly examples: Record<string, string> = {};

  constructor(private readonly rootPids: () => number[], readonly everyMs = 250) {}

  private sample(): void {
    const now = Date.now();
    for (const { pid, startTicks } of readTree(this.rootPids()).processes) {
      const cpu = readCpu(pid);
      if (!cpu || cpu.startTicks !== startTicks) continue;
      const key = `${pid}:${startTicks}`;
      let cmd = this.cmdCache.get(key);
      if (cmd === undefined) {
        cmd = readCmdline(pid);
        this.cmdCache.set(key, cmd);
      }
      const known = this.procs.get(key);
      const reading = { self: cpu.self, children: cpu.children };
      if (known) {
        known.last = reading;
        known.lastSeenMs = now;
        // Seen first while it was still becoming what it is (between fork and exec, or with a
        // command line not readable yet): classified again until it is a known kind.
        if (known.kind === 'ffmpeg other' || (known.kind !== classify(cpu.comm, cmd))) {
          const fresh = readCmdline(pid);
          this.cmdCache.set(key, fresh);
          known.kind = classify(cpu.comm, fresh);
          if (known.kind.startsWith('ffmpeg')) this.examples[known.kind] ??= fresh.slice(0, 400);
        }
      } else {
        const born = !this.firstSample;
        const kind = classify(cpu.comm, cmd);
        if (kind.startsWith('ffmpeg')) this.examples[kind] ??= cmd.slice(0, 400);
        this.procs.set(key, {
          pid, startTicks, kind, bornInPhase: born,
          first: born ? { self: 0, children: 0 } : reading, last: reading, firstSeenMs: now, lastSeenMs: now,
        });
      }
    }
    this.firstSample = false;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): Breakdown {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const byKind: Record<string, KindUsage> = {};
    let reaped = 0;
    const transcodes: Breakdown['transcodes'] = [];
    for (const p of this.procs.values()) {
      const cpu = p.last.self - p.first.self;
      const k = (byKind[p.kind] ??= { processes: 0, cpuSeconds: 0 });
      k.processes++;
      k.cpuSeconds += cpu;
      if (p.kind === 'node') reaped += p.last.children - p.first.children;
      if (p.kind.startsWith('ffmpeg transcode')) transcodes.push({ kind: p.kind, pid: p.pid, seconds: (p.lastSeenMs - p.firstSeenMs) / 1000, cpuSeconds: cpu });
    }
    return { byKind, nodeReapedChildrenCpuSeconds: reaped, transcodes, examples: this.examples, sampleEveryMs: this.everyMs };
  }
}

// ---------------------------------------------------------------------------------------------
// Checks of the stored files

interface ProbedStreams {
  width: number | null;
  height: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  /** ffprobe's format duration, seconds. */
  duration: number | null;
  error: string;
}

function probeStreams(input: string): ProbedStreams {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', input], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { width: null, height: null, videoCodec: null, audioCodec: null, duration: null, error: (r.stderr || `ffprobe exited ${r.status}`).slice(0, 500) };
  const j = JSON.parse(r.stdout) as { format?: { duration?: string }; streams?: { codec_type: string; codec_name: string; width?: number; height?: number }[] };
  const v = j.streams?.find((s) => s.codec_type === 'video');
  const a = j.streams?.find((s) => s.codec_type === 'audio');
  const d = Number(j.format?.duration);
  return { width: v?.width ?? null, height: v?.height ?? null, videoCodec: v?.codec_name ?? null, audioCodec: a?.codec_name ?? null, duration: Number.isFinite(d) ? d : null, error: (r.stderr ?? '').trim().slice(0, 500) };
}

interface CheckedPlaylist {
  stream: string;
  /** 'source' or the rendition's template. */
  variant: string;
  path: string;
  expected: { width: number; height: number } | null;
  streams: ProbedStreams;
  packets: FileCheck;
  /** Video packets ÷ 25 fps. */
  videoSeconds: number;
  /** Video packets ÷ the packets pushed to the stream (reference FLV). */
  videoCoverage: number | null;
  sizeMatches: boolean | null;
}

async function checkPlaylist(stream: string, variant: string, path: string, expected: { width: number; height: number } | null, ref: PushedReference): Promise<CheckedPlaylist> {
  const packets = await checkFile(path, 'm3u8', ref.videoFrameSeconds, ref.audioFrameSeconds);
  const copy = probeablePlaylist(path);
  let streams: ProbedStreams;
  try {
    streams = probeStreams(copy.probeablePath);
  } finally {
    copy.cleanup();
  }
  return {
    stream, variant, path, expected, streams, packets,
    videoSeconds: packets.videoPackets / FPS,
    videoCoverage: ref.videoPackets > 0 ? packets.videoPackets / ref.videoPackets : null,
    sizeMatches: expected ? streams.width === expected.width && streams.height === expected.height : null,
  };
}

// ---------------------------------------------------------------------------------------------
// One phase

interface PhaseResult {
  index: number;
  kind: PhaseKind;
  app: string;
  renditions: Rendition[];
  startedAt: string;
  streamMinutes: number;
  renditionMinutes: number;
  usage: TreeUsage;
  /** CPU-s of the whole server per stream-minute (push + wait for the files). */
  serverCpuPerStreamMinute: number;
  /** The same net of what the idle server burns over the same wall time. */
  serverCpuNetOfIdle: number;
  breakdown: Breakdown;
  generator: { cpuSeconds: number | null; wallSeconds: number; failedOutputs: number };
  waitedSecondsAfterPush: number;
  complete: boolean;
  /** Load average (1 min) of the machine at the start and end: other work shares the cores. */
  loadavg1: [number, number];
  playlists: CheckedPlaylist[];
  masterPlaylists: number;
  thumbnails: { jpegs: number; vttTracks: number; spriteSheets: number } | null;
}

function newestPlaylist(dir: string): string | null {
  const all = filesBelow(dir).filter((f) => f.endsWith('.m3u8') && !f.endsWith('_master.m3u8'));
  return all.length ? all[all.length - 1] : null;
}

async function runPhase(sys: RunningSystem, client: LiveRecordServiceClient, index: number, kind: PhaseKind, o: Options, source: string, idleCoresPerSecond: number): Promise<PhaseResult> {
  const app = `${kind}${index}`;
  const renditions = renditionsOf(kind);
  const streams = Array.from({ length: o.n }, (_, i) => `s${i + 1}`);
  const call = <Res>(method: string, req: object) => unary<object, Res>(client, method, req);
  // Configured before the phase's measurement starts.
  for (const r of renditions) {
    await call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({
      domainName: 'localhost', appName: app, template: r.template, templateType: 'h264',
      width: r.width, height: r.height, fps: FPS, gop: GOP, videoBitrate: r.videoKbps, audioBitrate: r.audioKbps,
    }));
  }
  const format = [{ format: 'm3u8', sliceDuration: o.sliceSeconds }];
  await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
    domainName: 'localhost', appName: app, streamName: '*', delayTime: o.delaySeconds, recordFormat: format,
    ...(renditions.length ? { transcodeTemplates: renditions.map((r) => r.template), transcodeRecordFormat: format } : {}),
  }));
  if (kind === 'thumbs') {
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: app, timeInterval: o.thumbnailInterval, resolution: o.thumbnailResolution,
      overwriteOssObject: '{AppName}/{StreamName}.jpg', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg',
    }));
  }
  await sleep(2000); // configuration reaches every service (KV watches) before the push

  const workDir = tempDir('tc-push');
  const rootPids = () => (sys.process.pid && sys.process.exitCode === null ? [sys.process.pid] : []);
  const tree = new ProcessTreeSampler(rootPids, 1000, o.seconds + o.delaySeconds + o.settleSeconds + 600);
  const breakdown = new BreakdownSampler(rootPids);
  let generator: RunningLoadGenerator | null = null;
  try {
    const load0 = loadavg()[0];
    const startedAt = new Date().toISOString();
    tree.start();
    breakdown.start();
    console.log(`[${app}] pushing ${o.n} streams for ${o.seconds} s${renditions.length ? ` with ${renditions.map((r) => `${r.width}x${r.height}`).join(' + ')}` : ''}${kind === 'thumbs' ? ` with thumbnails every ${o.thumbnailInterval} s` : ''} ...`);
    generator = startLoadGenerator({ sourceFile: source, rtmpBase: `rtmp://127.0.0.1:${sys.ports.rtmp}/${app}`, streamNames: streams, seconds: o.seconds, workDir });
    const runaway = setTimeout(() => generator?.stop(), (o.seconds + 60) * 1000);
    const pushed: LoadGeneratorResult = await generator.done;
    clearTimeout(runaway);
    const pushEndedMs = Date.now();

    // The files are final once the reconnect window has ended: every stream's source playlist,
    // each rendition's playlist, the master playlist (renditions) and the thumbnail track (thumbnails).
    const sourceDir = (s: string) => join(sys.storageRoot, 'record', app, s);
    const renditionDir = (s: string, r: Rendition) => join(sys.storageRoot, 'transcodeRecord', app, `${s}_${r.template}`);
    const ready = (s: string) => {
      const files = filesBelow(sourceDir(s));
      if (!files.some((f) => f.endsWith('.m3u8') && !f.endsWith('_master.m3u8'))) return false;
      if (renditions.length && !files.some((f) => f.endsWith('_master.m3u8'))) return false;
      if (kind === 'thumbs' && !files.some((f) => f.endsWith('.thumbnails.vtt'))) return false;
      return renditions.every((r) => newestPlaylist(renditionDir(s, r)) !== null);
    };
    const deadline = pushEndedMs + (o.delaySeconds + o.settleSeconds) * 1000;
    let complete = false;
    while (true) {
      complete = streams.every(ready);
      if (complete || Date.now() >= deadline) break;
      await sleep(500);
    }
    const usage = tree.stop();
    const parts = breakdown.stop();
    const load1 = loadavg()[0];
    const waited = (Date.now() - pushEndedMs) / 1000;
    if (sys.process.exitCode !== null) throw new Error(`the system exited during phase ${app}:\n${sys.logs().slice(-3000)}`);
    console.log(`[${app}] files ${complete ? 'complete' : 'NOT complete'} ${waited.toFixed(1)} s after the push; ${usage.cpuSeconds.toFixed(1)} CPU-s over ${usage.wallSeconds.toFixed(1)} s; checking ...`);

    // Checks (after the measurement).
    const ref = await checkReference(pushed.processes[0].referenceFile);
    const jobs: { stream: string; variant: string; path: string; expected: { width: number; height: number } | null }[] = [];
    for (const s of streams) {
      const src = newestPlaylist(sourceDir(s));
      if (src) jobs.push({ stream: s, variant: 'source', path: src, expected: { width: o.source.width, height: o.source.height } });
      for (const r of renditions) {
        const p = newestPlaylist(renditionDir(s, r));
        if (p) jobs.push({ stream: s, variant: r.template, path: p, expected: { width: r.width, height: r.height } });
      }
    }
    const playlists = await mapLimited(jobs, 2, (j) => checkPlaylist(j.stream, j.variant, j.path, j.expected, ref));
    const masterPlaylists = streams.filter((s) => filesBelow(sourceDir(s)).some((f) => f.endsWith('_master.m3u8'))).length;
    let thumbnails: PhaseResult['thumbnails'] = null;
    if (kind === 'thumbs') {
      const snapDir = join(sys.storageRoot, 'snapshot', app);
      const jpegs = existsSync(snapDir) ? streams.reduce((a, s) => a + filesBelow(join(snapDir, s)).filter((f) => f.endsWith('.jpg')).length, 0) : 0;
      const srcFiles = streams.flatMap((s) => filesBelow(sourceDir(s)));
      thumbnails = { jpegs, vttTracks: srcFiles.filter((f) => f.endsWith('.thumbnails.vtt')).length, spriteSheets: srcFiles.filter((f) => /\.sprite-\d+\.jpg$/.test(f)).length };
    }
    const streamMinutes = (o.n * o.seconds) / 60;
    return {
      index, kind, app, renditions, startedAt, streamMinutes, renditionMinutes: streamMinutes * renditions.length,
      usage,
      serverCpuPerStreamMinute: usage.cpuSeconds / streamMinutes,
      serverCpuNetOfIdle: (usage.cpuSeconds - idleCoresPerSecond * usage.wallSeconds) / streamMinutes,
      breakdown: parts,
      generator: { cpuSeconds: pushed.cpuSeconds, wallSeconds: pushed.wallSeconds, failedOutputs: pushed.processes.reduce((a, p) => a + p.failedOutputs.length, 0) },
      waitedSecondsAfterPush: waited, complete, loadavg1: [load0, load1], playlists, masterPlaylists, thumbnails,
    };
  } finally {
    generator?.stop();
    tree.halt();
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Figures and report

interface Figures {
  /** Server CPU-s per stream-minute of the baseline phases (net of idle), their mean. */
  baselineNetPerStreamMinute: number | null;
  /** The same of each baseline phase, in order: how far apart they are is the noise of every difference. */
  baselines: number[];
  /** Phase `both`: both renditions of each stream at once, marginal per rendition-minute (compare with the mean of the two above: additive or not). */
  both: { phase: string; serverMarginalPerRenditionMinute: number | null; ffmpegPerRenditionMinute: number } | null;
  /** Per rendition size: marginal server CPU-s per rendition-minute (phase − baseline, net of idle), and the transcode ffmpeg's own. */
  renditions: Record<string, {
    phase: string;
    serverMarginalPerRenditionMinute: number | null;
    /** CPU of the children node reaped during the phase (the kernel's exact account of every exited transcode ffmpeg; only transcodes ran as children there). */
    ffmpegPerRenditionMinute: number;
    /** The same from the 250 ms samples of each live ffmpeg (misses each one's last interval): a cross-check. */
    ffmpegSampledPerRenditionMinute: number;
    ffmpegCores: number;
    checked: string;
  }>;
  thumbnails: { phase: string; intervalSeconds: number; serverMarginalPerStreamMinute: number | null; thumbnailsMade: number; cpuSecondsPerThumbnail: number | null; reapedChildrenPerStreamMinute: number } | null;
}

function figures(phases: PhaseResult[], o: Options): Figures {
  const bases = phases.filter((p) => p.kind === 'base');
  const base = bases.length ? bases.reduce((a, p) => a + p.serverCpuNetOfIdle, 0) / bases.length : null;
  const renditions: Figures['renditions'] = {};
  for (const p of phases) {
    if (p.kind !== 'p480' && p.kind !== 'p720') continue;
    const r = p.renditions[0];
    const ffmpeg = p.breakdown.transcodes.reduce((a, t) => a + t.cpuSeconds, 0);
    const lifetime = p.breakdown.transcodes.reduce((a, t) => a + t.seconds, 0);
    const mine = p.playlists.filter((c) => c.variant === r.template);
    const ok = mine.filter((c) => c.sizeMatches && Math.abs(c.videoSeconds - o.seconds) <= 3).length;
    renditions[`${r.width}x${r.height}`] = {
      phase: p.app,
      serverMarginalPerRenditionMinute: base === null ? null : ((p.serverCpuNetOfIdle - base) * p.streamMinutes) / p.renditionMinutes,
      ffmpegPerRenditionMinute: p.breakdown.nodeReapedChildrenCpuSeconds / p.renditionMinutes,
      ffmpegSampledPerRenditionMinute: ffmpeg / p.renditionMinutes,
      ffmpegCores: lifetime > 0 ? ffmpeg / lifetime : 0,
      checked: `${ok}/${o.n} at ${r.width}x${r.height} and ${o.seconds} ± 3 s`,
    };
  }
  const b = phases.find((p) => p.kind === 'both');
  const both = b ? {
    phase: b.app,
    serverMarginalPerRenditionMinute: base === null ? null : ((b.serverCpuNetOfIdle - base) * b.streamMinutes) / b.renditionMinutes,
    ffmpegPerRenditionMinute: b.breakdown.nodeReapedChildrenCpuSeconds / b.renditionMinutes,
  } : null;
  const t = phases.find((p) => p.kind === 'thumbs');
  const made = t?.thumbnails?.jpegs ?? 0;
  const marginal = t && base !== null ? t.serverCpuNetOfIdle - base : null;
  return {
    baselineNetPerStreamMinute: base,
    baselines: bases.map((p) => p.serverCpuNetOfIdle),
    both,
    renditions,
    thumbnails: t ? {
      phase: t.app, intervalSeconds: o.thumbnailInterval, serverMarginalPerStreamMinute: marginal, thumbnailsMade: made,
      cpuSecondsPerThumbnail: marginal !== null && made > 0 ? (marginal * t.streamMinutes) / made : null,
      reapedChildrenPerStreamMinute: t.breakdown.nodeReapedChildrenCpuSeconds / t.streamMinutes,
    } : null,
  };
}

interface Report {
  startedAt: string;
  finishedAt: string | null;
  machine: Record<string, string | number>;
  sharedMachineNote: string;
  options: Options;
  sourceMedia: string;
  idle: { cpuSeconds: number; wallSeconds: number; coresPerSecond: number } | null;
  phases: PhaseResult[];
  failures: string[];
  figures: Figures | null;
  leftoverProcessesKilled: number;
}

const SHARED_NOTE = 'The machine was shared with other agents running tests at the same time. CPU-s per minute (CPU time of the server\'s own processes) is fairly robust to that; '
  + 'wall-clock figures (waits, ffmpeg real-time keeping, load averages) are not.';

const f2 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));

function markdown(r: Report): string {
  const o = r.options;
  const L: string[] = [];
  L.push(`# Live transcoding and thumbnail cost, ${r.startedAt}`, '');
  L.push(`Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join('; ')}.`, '');
  L.push(`**${r.sharedMachineNote}**`, '');
  L.push(`Load: per phase ${o.n} streams × ${o.seconds} s of ${o.source.width}x${o.source.height} 25 fps H.264 ${o.source.videoKbps} kbit/s (GOP 2 s${o.source.noise ? `, testsrc2 + temporal noise ${o.source.noise}` : ', testsrc2'}) + AAC, `
    + `pushed by the load generator (one ffmpeg, tee). liverecord as \`npm start\` runs it (compiled, own nats-server), one system for all phases, each phase on its own app: `
    + `source recorded as m3u8 (${o.sliceSeconds} s segments, ${o.delaySeconds} s reconnect window); renditions (libx264 veryfast, ${FPS} fps, GOP ${GOP}) recorded as m3u8 too; `
    + `thumbnails every ${o.thumbnailInterval} s at tier "${o.thumbnailResolution}" (sequence + latest object, sprite sheets and WebVTT track at finalize). `
    + 'Measured per phase from the push start until every file (and master playlist / thumbnail track) is stored. How to read the figures: load-tests/README.md.', '');
  if (r.figures) {
    const f = r.figures;
    L.push('## Result', '');
    L.push('| rendition | server CPU-s per rendition-minute (marginal over the baseline, net of idle) | transcode ffmpeg CPU-s per rendition-minute (reaped; sampled) | ffmpeg cores while running | renditions checked |', '|---|---|---|---|---|');
    for (const [size, v] of Object.entries(f.renditions)) L.push(`| ${size} (${v.phase}) | ${f3(v.serverMarginalPerRenditionMinute)} | ${f3(v.ffmpegPerRenditionMinute)}; ${f3(v.ffmpegSampledPerRenditionMinute)} | ${f2(v.ffmpegCores)} | ${v.checked} |`);
    L.push('');
    L.push(`Baseline (source recorded alone, m3u8): ${f3(f.baselineNetPerStreamMinute)} server CPU-s per stream-minute net of idle (mean of the base phases: ${f.baselines.map(f3).join(', ')}; their spread is the noise of every marginal figure).`, '');
    if (f.both) L.push(`Both renditions at once (${f.both.phase}): ${f3(f.both.serverMarginalPerRenditionMinute)} server CPU-s per rendition-minute over the baseline, transcode ffmpeg ${f3(f.both.ffmpegPerRenditionMinute)}.`, '');
    if (f.thumbnails) {
      const t = f.thumbnails;
      L.push(`Thumbnails every ${t.intervalSeconds} s (${t.phase}): the thumbnail and sprite-sheet ffmpeg runs (children reaped by node) ${f3(t.reapedChildrenPerStreamMinute)} CPU-s per stream-minute; `
        + `the whole server ${f3(t.serverMarginalPerStreamMinute)} CPU-s per stream-minute over the baseline (a difference of two phases: noisier); ${t.thumbnailsMade} thumbnails stored, `
        + `≈ ${f3(t.cpuSecondsPerThumbnail)} server CPU-s each.`, '');
    }
  }
  L.push('## Phases', '');
  L.push('| phase | renditions | server CPU-s | wall s | CPU-s/stream-min | net of idle | by process (CPU-s) | node reaped children CPU-s | wait after push s | complete | load avg 1 min start→end | generator CPU-s |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    const by = Object.entries(p.breakdown.byKind).sort((a, b) => b[1].cpuSeconds - a[1].cpuSeconds).map(([k, v]) => `${k}×${v.processes} ${f2(v.cpuSeconds)}`).join(', ');
    L.push(`| ${p.app} | ${p.renditions.map((x) => `${x.width}x${x.height}`).join(' + ') || (p.kind === 'thumbs' ? 'thumbnails' : '–')} | ${f2(p.usage.cpuSeconds)} | ${f2(p.usage.wallSeconds)} | ${f3(p.serverCpuPerStreamMinute)} | ${f3(p.serverCpuNetOfIdle)} | ${by} | ${f2(p.breakdown.nodeReapedChildrenCpuSeconds)} | ${f2(p.waitedSecondsAfterPush)} | ${p.complete ? 'yes' : 'no'} | ${f2(p.loadavg1[0])} → ${f2(p.loadavg1[1])} | ${f2(p.generator.cpuSeconds)} |`);
  }
  L.push('');
  L.push('## Recorded playlists (ffprobe)', '');
  L.push('| phase | stream | variant | size | expected | video / audio | duration (video packets ÷ 25) | ffprobe format duration | video coverage | segments | ffprobe errors |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    for (const c of p.playlists) {
      L.push(`| ${p.app} | ${c.stream} | ${c.variant} | ${c.streams.width ?? '?'}x${c.streams.height ?? '?'} | ${c.expected ? `${c.expected.width}x${c.expected.height}` : '–'} | ${c.streams.videoCodec ?? '–'} / ${c.streams.audioCodec ?? '–'} | ${f2(c.videoSeconds)} | ${f2(c.streams.duration)} | ${c.videoCoverage === null ? '–' : `${(c.videoCoverage * 100).toFixed(1)}%`} | ${c.packets.playlist?.segments ?? '–'} | ${c.packets.ffprobeErrors ? 'yes' : 'none'} |`);
    }
  }
  L.push('');
  const tp = r.phases.filter((p) => p.thumbnails);
  if (tp.length) {
    L.push('## Thumbnails', '');
    for (const p of tp) L.push(`${p.app}: ${p.thumbnails!.jpegs} sequence JPEGs, ${p.thumbnails!.vttTracks} WebVTT tracks, ${p.thumbnails!.spriteSheets} sprite sheets for ${o.n} streams × ${o.seconds} s.`);
    L.push('');
  }
  const examples = new Map<string, string>();
  for (const p of r.phases) for (const [k, v] of Object.entries(p.breakdown.examples)) if (!examples.has(k)) examples.set(k, v);
  if (examples.size) {
    L.push('## ffmpeg processes of the server, by kind (first command line seen)', '');
    for (const [k, v] of examples) L.push(`- ${k}: \`${v.replaceAll('`', "'")}\``);
    L.push('');
  }
  if (r.idle) L.push(`Idle server before the phases: ${f3(r.idle.coresPerSecond)} cores (${f2(r.idle.cpuSeconds)} CPU-s over ${f2(r.idle.wallSeconds)} s).`, '');
  if (r.failures.length) L.push('## Failures', '', ...r.failures.map((e) => `- ${e.split('\n')[0]}`), '');
  L.push(`Leftover processes killed after the stop: ${r.leftoverProcessesKilled}.`, '');
  return L.join('\n');
}

function writeReport(r: Report, jsonPath: string, mdPath: string): void {
  writeFileSync(`${jsonPath}.tmp`, JSON.stringify(r, null, 2));
  writeFileSync(`${mdPath}.tmp`, markdown(r));
  spawnSync('mv', [`${jsonPath}.tmp`, jsonPath]);
  spawnSync('mv', [`${mdPath}.tmp`, mdPath]);
}



// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
  const reportsDir = join(REPO_ROOT, 'load-tests', 'reports');
  mkdirSync(reportsDir, { recursive: true });
  const jsonPath = join(reportsDir, `transcode-${stamp}.json`);
  const mdPath = join(reportsDir, `transcode-${stamp}.md`);
  console.log(`making the source (${o.source.width}x${o.source.height}, ${o.source.videoKbps} kbit/s) ...`);
  const source = sourceMediaAt(o.source);
  const report: Report = {
    startedAt: new Date().toISOString(), finishedAt: null, machine: machineInfo(), sharedMachineNote: SHARED_NOTE, options: o, sourceMedia: source,
    idle: null, phases: [], failures: [], figures: null, leftoverProcessesKilled: 0,
  };

  let sys: RunningSystem | null = null;
  let client: LiveRecordServiceClient | null = null;
  const seen = new ProcessTreeSampler(() => (sys?.process.pid && sys.process.exitCode === null ? [sys.process.pid] : []), 2000, 7200);
  const shutdown = async () => {
    client?.close();
    seen.halt();
    if (sys) {
      seen.sample();
      await sys.stop().catch((err: unknown) => console.error(`the system did not stop cleanly: ${(err as Error).message}`));
      report.leftoverProcessesKilled = killLeftovers(seen.seen);
      if (!o.keep) rmSync(sys.dataDir, { recursive: true, force: true });
      else console.log(`data kept in ${sys.dataDir}`);
    }
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping ...`);
    report.failures.push('interrupted');
    void shutdown().finally(() => {
      writeReport(report, jsonPath, mdPath);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    console.log('starting liverecord (compiled, as npm start runs it) ...');
    sys = await startSystem({
      LR_DEFAULT_TEMPLATE_SLICE_SECONDS: String(o.sliceSeconds),
      LR_DEFAULT_TEMPLATE_DELAY_SECONDS: String(o.delaySeconds),
      LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8',
    }, undefined, { compiled: true });
    seen.start();
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    const running = sys;
    await sleep(3000);
    const idleSampler = new ProcessTreeSampler(() => (running.process.pid ? [running.process.pid] : []), 1000, 60);
    idleSampler.start();
    await sleep(10_000);
    const idle = idleSampler.stop();
    report.idle = { cpuSeconds: idle.cpuSeconds, wallSeconds: idle.wallSeconds, coresPerSecond: idle.wallSeconds > 0 ? idle.cpuSeconds / idle.wallSeconds : 0 };
    console.log(`idle: ${report.idle.coresPerSecond.toFixed(3)} cores`);

    for (const [i, kind] of o.phases.entries()) {
      try {
        const p = await runPhase(running, client, i + 1, kind, o, source, report.idle.coresPerSecond);
        report.phases.push(p);
        console.log(`[${p.app}] ${p.serverCpuPerStreamMinute.toFixed(3)} CPU-s/stream-min (${p.serverCpuNetOfIdle.toFixed(3)} net of idle); transcode ffmpeg ${p.breakdown.transcodes.map((t) => `${t.kind.replace('ffmpeg transcode ', '')} ${t.cpuSeconds.toFixed(1)} CPU-s`).join(', ') || 'none'}`);
      } catch (err) {
        const e = err as Error;
        console.error(`[${kind}${i + 1}] failed: ${e.stack ?? e.message}`);
        report.failures.push(`${kind}${i + 1}: ${e.message.slice(0, 3000)}`);
        if (running.process.exitCode !== null) break;
      }
      report.figures = figures(report.phases, o);
      writeReport(report, jsonPath, mdPath);
    }
  } finally {
    await shutdown();
  }
  report.finishedAt = new Date().toISOString();
  report.figures = figures(report.phases, o);
  writeReport(report, jsonPath, mdPath);
  const f = report.figures;
  console.log('');
  console.log(`baseline: ${f3(f.baselineNetPerStreamMinute)} server CPU-s per stream-minute (net of idle)`);
  for (const [size, v] of Object.entries(f.renditions)) {
    console.log(`${size}: server ${f3(v.serverMarginalPerRenditionMinute)} CPU-s per rendition-minute over the baseline; transcode ffmpeg ${f3(v.ffmpegPerRenditionMinute)}; ${v.checked}`);
  }
  if (f.thumbnails) console.log(`thumbnails every ${f.thumbnails.intervalSeconds} s: server ${f3(f.thumbnails.serverMarginalPerStreamMinute)} CPU-s per stream-minute over the baseline (${f.thumbnails.thumbnailsMade} thumbnails)`);
  console.log(`report: ${jsonPath}\n        ${mdPath}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
