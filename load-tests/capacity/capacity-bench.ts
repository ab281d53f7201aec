// Capacity benchmark: N streams pushed at once into liverecord (as `npm start` runs it) and,
// when available, into nginx-rtmp on the same load; every server process sampled, every
// recording checked against what was pushed. Writes load-tests/reports/capacity-<date>.{json,md}.
//
//   npm run bench:capacity [-- --n 25,50,100,200 --seconds 60 --systems liverecord,nginx-rtmp]
//
// Everything runs on loopback, every wait is bounded, and every process it starts is stopped
// (also on Ctrl-C). See load-tests/README.md for what the figures mean.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../../test-kit/index.js';
import { printTable, writeReport, type BenchOptions, type CapacityReport } from './capacity-report.js';
import { startLiverecord, startLiverecordIngestOnly } from './liverecord-target.js';
import { DEFAULT_OUTPUTS_PER_PROCESS, startLoadGenerator, type RunningLoadGenerator } from './load-generator.js';
import { ensureNginxRtmp, startNginxRtmp } from './nginx-rtmp-target.js';
import { ProcessTreeSampler, killLeftovers } from './process-tree-sampler.js';
import { checkFile, checkReference, mapLimited, type CheckedFormat, type FileCheck, type PushedReference } from './recording-check.js';
import { runResult, type RunResult } from './run-figures.js';
import { sourceMedia } from './source-media.js';
import { CHECKED_FORMATS, sleep, type SystemUnderTest } from './system-under-test.js';
import { eachFlag, knownList, positiveInt } from '../bench-flags.js';
import { machineInfo } from '../bench-machine.js';

const SYSTEMS = ['liverecord', 'nginx-rtmp', 'liverecord-ingest'] as const;
type SystemName = (typeof SYSTEMS)[number];

/** Lets a freshly started server finish its start-up work before the idle baseline is taken. */
const WARMUP_SECONDS = 3;
/** Length of the idle baseline (CPU and RSS of the server with no stream). */
const IDLE_SECONDS = 5;
/** ffprobe runs side by side during the checks (after the measurement; the box has 2 cores). */
const PROBE_CONCURRENCY = 2;

function parseOptions(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    ns: [25, 50, 100, 200], seconds: 60, systems: [...SYSTEMS], sliceSeconds: 6, delaySeconds: 15, settleSeconds: 60,
    outputsPerProcess: DEFAULT_OUTPUTS_PER_PROCESS, keep: false,
  };
  eachFlag(argv, (flag, value, raw) => {
    switch (flag) {
      case '--n': opts.ns = value().split(',').map((v) => positiveInt('n', v.trim())); break;
      case '--seconds': opts.seconds = positiveInt('seconds', value()); break;
      case '--systems': opts.systems = knownList('systems', value(), SYSTEMS); break;
      case '--slice': opts.sliceSeconds = positiveInt('slice', value()); break;
      case '--delay': opts.delaySeconds = positiveInt('delay', value()); break;
      case '--settle': opts.settleSeconds = positiveInt('settle', value()); break;
      case '--outputs-per-process': opts.outputsPerProcess = positiveInt('outputs-per-process', value()); break;
      case '--keep': opts.keep = true; break;
      case '--help':
        console.log('npm run bench:capacity -- [--n 25,50,100,200] [--seconds 60] [--systems liverecord,nginx-rtmp] [--slice 6] [--delay 15] [--settle 60] [--outputs-per-process 100] [--keep]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option "${raw}" (try --help)`);
    }
  });
  return opts;
}



/** A server that died mid-run yields no figures: fail the run with its last words instead. */
function assertAlive(server: SystemUnderTest, when: string): void {
  if (!server.alive()) throw new Error(`${server.name} exited ${when}; its last output:\n${server.logTail()}`);
}

/** What must happen if the run is interrupted: the processes of the run in progress stop. */
let stopCurrentRun: (() => Promise<void>) | null = null;

async function runOnce(system: SystemName, n: number, opts: BenchOptions, source: string): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const streams = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  const workDir = tempDir('cap-push');
  let sut: SystemUnderTest | null = null;
  let generator: RunningLoadGenerator | null = null;
  const samplers: ProcessTreeSampler[] = [];
  let leftovers = 0;
  let stopped = false;
  const stopEverything = async () => {
    if (stopped) return;
    stopped = true;
    generator?.stop();
    await sut?.stop().catch((err: unknown) => console.error(`stopping the server failed: ${(err as Error).message}`));
    for (const s of samplers) s.halt();
    for (const s of samplers) leftovers += killLeftovers(s.seen);
  };
  const cleanup = async () => {
    await stopEverything();
    if (!opts.keep) sut?.removeData();
    rmSync(workDir, { recursive: true, force: true });
  };
  stopCurrentRun = cleanup;
  try {
    console.log(`\n[${system} N=${n}] starting the server ...`);
    sut = system === 'liverecord'
      ? await startLiverecord({ sliceSeconds: opts.sliceSeconds, delaySeconds: opts.delaySeconds, settleSeconds: opts.settleSeconds })
      : system === 'liverecord-ingest'
        ? await startLiverecordIngestOnly({ settleSeconds: opts.settleSeconds })
        : await startNginxRtmp({ settleSeconds: opts.settleSeconds, pushSeconds: opts.seconds });
    const server = sut;
    await sleep(WARMUP_SECONDS * 1000);
    const idleSampler = new ProcessTreeSampler(() => server.rootPids(), 1000, IDLE_SECONDS + 10);
    samplers.push(idleSampler);
    idleSampler.start();
    await sleep(IDLE_SECONDS * 1000);
    const idle = idleSampler.stop();
    assertAlive(server, 'before the push');

    // Measured from here: the push, then the wait until the recordings are complete.
    const sampler = new ProcessTreeSampler(() => server.rootPids(), 1000, opts.seconds + opts.delaySeconds + opts.settleSeconds + 600);
    samplers.push(sampler);
    sampler.start();
    console.log(`[${system} N=${n}] pushing ${n} streams for ${opts.seconds} s ...`);
    generator = startLoadGenerator({ sourceFile: source, rtmpBase: server.rtmpBase, streamNames: streams, seconds: opts.seconds, workDir, outputsPerProcess: opts.outputsPerProcess });
    const runaway = setTimeout(() => generator?.stop(), (opts.seconds + 60) * 1000);
    const pushed = await generator.done;
    clearTimeout(runaway);
    const publishersEndedAtMs = Date.now();
    assertAlive(server, 'during the push');
    console.log(`[${system} N=${n}] push done (generator ${pushed.cpuSecondsPerStreamMinute?.toFixed(3) ?? '?'} CPU-s/stream-min); waiting for the recordings ...`);
    const settle = await server.waitForRecordings(streams, publishersEndedAtMs);
    const usage = sampler.stop();
    assertAlive(server, 'while the recordings were finalized');
    console.log(server.records
      ? `[${system} N=${n}] recordings ${settle.complete ? 'complete' : 'NOT complete'} ${settle.waitedSeconds.toFixed(1)} s after the push; reading timings, stopping, checking files ...`
      : `[${system} N=${n}] the media stream took the last packets ${settle.waitedSeconds.toFixed(1)} s after the push; stopping (nothing recorded to check) ...`);

    const timings = await server.collectTimings(streams, publishersEndedAtMs).catch((err: Error) => {
      console.warn(`[${system} N=${n}] could not read timings: ${err.message}`);
      return null;
    });
    await stopEverything();

    // Checks read only the files present when the wait ended (stopping the server may finalize more).
    const references = new Map<string, PushedReference>();
    for (const p of pushed.processes) references.set(p.referenceFile, await checkReference(p.referenceFile));
    const ref0 = references.values().next().value as PushedReference;
    const jobs = [...settle.files.entries()].flatMap(([stream, files]) => CHECKED_FORMATS.flatMap((fmt) => files[fmt].map((path) => ({ stream, fmt, path }))));
    const results = await mapLimited(jobs, PROBE_CONCURRENCY, (j) => checkFile(j.path, j.fmt, ref0.videoFrameSeconds, ref0.audioFrameSeconds));
    const checks = new Map<string, Record<CheckedFormat, FileCheck[]>>(streams.map((s) => [s, { m3u8: [], flv: [] }]));
    jobs.forEach((j, i) => checks.get(j.stream)![j.fmt].push(results[i]));

    const result = runResult({
      system, records: server.records, n, seconds: opts.seconds, startedAt,
      idle: { cpuSeconds: idle.cpuSeconds, wallSeconds: idle.wallSeconds, rssBytes: idle.endRssBytes },
      usage, generator: pushed, settle, timings, leftoverProcessesKilled: leftovers, references, checks,
    });
    if (opts.keep) {
      result.keptDataDir = server.dataDir;
      console.log(`[${system} N=${n}] recordings kept in ${server.dataDir}`);
    }
    return result;
  } finally {
    await cleanup();
    stopCurrentRun = null;
  }
}

/** A Ctrl-C reaches this process twice (from the terminal and relayed by tsx): one interrupt. */
const SAME_INTERRUPT_MS = 3000;

function installSignalHandlers(onInterrupt: () => void): void {
  let interruptedAt = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (interruptedAt) {
      if (Date.now() - interruptedAt < SAME_INTERRUPT_MS) return;
      console.error(`\n${signal} again: exiting now`);
      process.exit(130);
    }
    interruptedAt = Date.now();
    console.error(`\n${signal}: stopping the processes of the run in progress (again to exit at once) ...`);
    // Bounded: the system's own stop gives up after 45 s with SIGKILL.
    void (stopCurrentRun?.() ?? Promise.resolve()).finally(() => {
      onInterrupt();
      process.exit(130);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
  const reportsDir = join(REPO_ROOT, 'load-tests', 'reports');
  mkdirSync(reportsDir, { recursive: true });
  const jsonPath = join(reportsDir, `capacity-${stamp}.json`);
  const mdPath = join(reportsDir, `capacity-${stamp}.md`);
  const source = sourceMedia();
  const report: CapacityReport = {
    startedAt: new Date().toISOString(), finishedAt: null, machine: machineInfo(), options: opts, sourceMedia: source,
    skipped: {}, failures: [], runs: [], summary: { largestZeroLossN: {}, largestZeroLossNoGapsN: {}, largestZeroVideoLossN: {}, cpuRatioToNginx: {} },
  };
  installSignalHandlers(() => {
    report.failures.push({ system: '-', n: 0, error: 'interrupted' });
    writeReport(report, jsonPath, mdPath);
  });

  const systems = opts.systems as SystemName[];
  if (systems.includes('nginx-rtmp')) {
    const nginx = ensureNginxRtmp((m) => console.log(m));
    if (nginx.available) report.machine.nginx = nginx.detail;
    else {
      report.skipped['nginx-rtmp'] = nginx.detail;
      console.log(`nginx-rtmp: ${nginx.detail}`);
    }
  }
  const toRun = systems.filter((s) => !report.skipped[s]);
  console.log(`capacity benchmark: N = ${opts.ns.join(', ')}, ${opts.seconds} s each, systems: ${toRun.join(', ')}; source ${source}`);

  for (const n of opts.ns) {
    for (const system of toRun) {
      try {
        const run = await runOnce(system, n, opts, source);
        report.runs.push(run);
        console.log(`[${system} N=${n}] ${run.server.cpuSecondsPerStreamMinute.toFixed(3)} CPU-s/stream-min, ${run.server.rssPerStreamMB.toFixed(2)} MB/stream${run.records ? `, lossless ${run.losslessStreams}/${n}` : ' (records nothing)'}`);
      } catch (err) {
        const e = err as Error;
        console.error(`[${system} N=${n}] failed: ${e.stack ?? e.message}`);
        report.failures.push({ system, n, error: e.message.slice(0, 5000) });
      }
      writeReport(report, jsonPath, mdPath); // after every run, so an interrupted bench keeps what it measured
    }
  }
  report.finishedAt = new Date().toISOString();
  writeReport(report, jsonPath, mdPath);
  console.log('');
  printTable(report.runs);
  console.log(`\nlargest N with zero loss: ${Object.entries(report.summary.largestZeroLossN).map(([s, v]) => `${s} ${v ?? 'none'}`).join(', ')}`);
  for (const [s, why] of Object.entries(report.skipped)) console.log(`${s} skipped: ${why}`);
  console.log(`report: ${jsonPath}\n        ${mdPath}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
