// The benchmark's report: one JSON document with everything measured, and a markdown
// rendering of the figures that matter (also printed as a table on the console).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResult, Spread } from './run-figures.js';
import { CHECKED_FORMATS, type Percentiles } from './system-under-test.js';

export interface BenchOptions {
  ns: number[];
  seconds: number;
  systems: string[];
  sliceSeconds: number;
  delaySeconds: number;
  settleSeconds: number;
  outputsPerProcess: number;
  keep: boolean;
}

export interface CapacityReport {
  startedAt: string;
  finishedAt: string | null;
  machine: Record<string, string | number>;
  options: BenchOptions;
  sourceMedia: string;
  /** Systems that could not run, with the reason (e.g. nginx-rtmp not installable). */
  skipped: Record<string, string>;
  /** Runs that failed before producing figures. */
  failures: { system: string; n: number; error: string }[];
  runs: RunResult[];
  summary: {
    largestZeroLossN: Record<string, number | null>;
    largestZeroLossNoGapsN: Record<string, number | null>;
    largestZeroVideoLossN: Record<string, number | null>;
    /** liverecord CPU-s per stream-minute ÷ nginx-rtmp's, per N (same run). */
    cpuRatioToNginx: Record<string, number>;
  };
}

export function summarize(report: CapacityReport): void {
  const largest = (pred: (r: RunResult) => boolean) => {
    const out: Record<string, number | null> = {};
    for (const r of report.runs) {
      if (!r.records) continue;
      out[r.system] ??= null;
      if (pred(r)) out[r.system] = Math.max(out[r.system] ?? 0, r.n);
    }
    return out;
  };
  const ratio: Record<string, number> = {};
  for (const r of report.runs) {
    if (r.system === 'nginx-rtmp') continue;
    const ref = report.runs.find((x) => x.system === 'nginx-rtmp' && x.n === r.n);
    if (ref && ref.server.cpuSecondsPerStreamMinute > 0) ratio[`${r.system}@${r.n}`] = r.server.cpuSecondsPerStreamMinute / ref.server.cpuSecondsPerStreamMinute;
  }
  report.summary = { largestZeroLossN: largest((r) => r.zeroLoss), largestZeroLossNoGapsN: largest((r) => r.zeroLossNoGaps), largestZeroVideoLossN: largest((r) => r.zeroVideoLoss), cpuRatioToNginx: ratio };
}

const f2 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(v >= 0.9995 && v < 1 ? 2 : 1)}%`);
const sp = (s: Spread) => `${pct(s.worst)} / ${pct(s.median)}`;
const pc = (p: Percentiles | undefined) => (!p || p.count === 0 ? '–' : `${f2(p.p50)} / ${f2(p.p99)} / ${f2(p.max)}`);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The main figures, one row per (system, N): the console table and the report's first table. */
export function mainTable(runs: RunResult[]): { head: string[]; rows: string[][] } {
  const head = ['system', 'N', 'CPU-s/stream-min', 'net of idle', 'MB/stream (peak÷N)', 'MB/stream over idle', 'procs', 'video cov. worst (m3u8, flv)', 'files m3u8/flv', 'ffprobe err', 'video ts gaps', 'lossless streams', 'zero loss', 'generator CPU-s/stream-min'];
  const rows = runs.map((r) => {
    const recorded = !r.records
      ? ['records nothing', '–', '–', '–', '–', '–']
      : [`${pct(r.coverage.m3u8.video.worst)}, ${pct(r.coverage.flv.video.worst)}`, `${r.filesPresent.m3u8}/${r.filesPresent.flv} of ${r.n}`, String(r.filesWithProbeErrors), String(r.videoGaps),
        `${r.losslessStreams}/${r.n}`, r.zeroLoss ? 'yes' : 'no'];
    return [
      r.system, String(r.n), f3(r.server.cpuSecondsPerStreamMinute), f3(r.server.cpuSecondsPerStreamMinuteNetOfIdle),
      f2(r.server.rssPerStreamMB), f2(r.server.incrementalRssPerStreamMB), String(r.server.peakProcessCount),
      ...recorded, f3(r.generator.cpuSecondsPerStreamMinute),
    ];
  });
  return { head, rows };
}

export function renderMarkdown(report: CapacityReport): string {
  const out: string[] = [];
  out.push(`# Capacity benchmark, ${report.startedAt}`, '');
  out.push(`Machine: ${Object.entries(report.machine).map(([k, v]) => `${k} ${v}`).join('; ')}.`, '');
  const o = report.options;
  out.push(`Load: N streams × ${o.seconds} s of 640x360 25 fps H.264 800 kbit/s (GOP 2 s) + AAC from one looped file, pushed by one ffmpeg \`tee\` process per ${o.outputsPerProcess} streams. `
    + `liverecord: default template m3u8 + flv, ${o.sliceSeconds} s segments, ${o.delaySeconds} s reconnect window. nginx-rtmp: \`record all\` (FLV) + \`hls on\` (6 s fragments). `
    + 'Systems run one after the other on the same load. How to read the figures: load-tests/README.md.', '');
  for (const [sys, why] of Object.entries(report.skipped)) out.push(`**${sys} skipped:** ${why}`, '');
  for (const f of report.failures) {
    const [first, ...rest] = f.error.split('\n');
    out.push(`**${f.system} at N=${f.n} failed:** ${first}`, '');
    if (rest.length) out.push('```', ...rest.slice(-20), '```', '');
  }

  out.push('## Summary', '');
  const systems = [...new Set(report.runs.filter((r) => r.records).map((r) => r.system))];
  const largestOf = (m: Record<string, number | null>, s: string) => String(m[s] ?? 'none');
  out.push(table(['system', 'largest N with zero loss', '… and no video timestamp gap', 'largest N with zero video loss'],
    systems.map((s) => [s, largestOf(report.summary.largestZeroLossN, s), largestOf(report.summary.largestZeroLossNoGapsN, s), largestOf(report.summary.largestZeroVideoLossN, s)])), '');
  const ratios = Object.entries(report.summary.cpuRatioToNginx);
  if (ratios.length) out.push(`CPU-s per stream-minute relative to nginx-rtmp in the same run: ${ratios.map(([k, v]) => `${k} ${v.toFixed(2)}×`).join(', ')}.`, '');
  if (report.runs.some((r) => !r.records)) {
    out.push('liverecord-ingest records nothing: it is `npm start`\'s system with its ingest alone (node-media-server parsing every stream, every packet '
      + 'published to the JetStream media stream, no consumer), the floor of the media-plane design; liverecord minus it is what recording costs.', '');
  }

  out.push('## Cost and losses', '');
  const main = mainTable(report.runs);
  out.push(table(main.head, main.rows), '');

  out.push('## Coverage (recorded ÷ pushed packets, worst / median stream)', '');
  out.push(table(
    ['system', 'N', ...CHECKED_FORMATS.flatMap((f) => [`${f} video`, `${f} audio`]), 'discontinuity tags', 'wait after push (s)', 'all files before deadline'],
    report.runs.filter((r) => r.records).map((r) => [r.system, String(r.n), ...CHECKED_FORMATS.flatMap((f) => [sp(r.coverage[f].video), sp(r.coverage[f].audio)]),
      String(r.streams.reduce((a, s) => a + s.formats.m3u8.discontinuityTags, 0)), f2(r.settle.waitedSeconds), r.settle.complete ? 'yes' : 'no']),
  ), '');

  out.push('## Server processes', '');
  out.push(table(['system', 'N', 'CPU-s', 'wall s', 'idle cores', 'idle MB', 'peak MB', 'peak processes by name', 'peak MB by name', 'CPU-s/stream-min by name', 'generator CPU-s', 'generator MB', 'failed outputs', 'leftovers killed'],
    report.runs.map((r) => [r.system, String(r.n), f2(r.server.cpuSeconds), f2(r.server.wallSeconds), f3(r.idle.cpuCores), f2(r.idle.rssMB), f2(r.server.peakRssMB),
      Object.entries(r.server.peakByCommand).map(([k, v]) => `${k}×${v}`).join(' '),
      Object.entries(r.server.peakRssMBByCommand).map(([k, v]) => `${k} ${f2(v)}`).join(', '),
      Object.entries(r.server.cpuSecondsPerStreamMinuteByCommand).map(([k, v]) => `${k} ${f3(v)}`).join(', '),
      f2(r.generator.cpuSeconds), f2(r.generator.maxRssMB),
      String(r.generator.failedOutputs), String(r.leftoverProcessesKilled)])), '');

  const timed = report.runs.filter((r) => r.timings);
  if (timed.length) {
    out.push('## Timing (seconds, p50 / p99 / max)', '');
    out.push(timed[0].timings!.note, '');
    out.push(table(['system', 'N', 'segment end → stored', ...CHECKED_FORMATS.map((f) => `${f} stored after window end`), ...CHECKED_FORMATS.map((f) => `${f} catalogued after window end`), 'streams fully catalogued'],
      timed.map((r) => [r.system, String(r.n), pc(r.timings!.segmentEndToStored), ...CHECKED_FORMATS.map((f) => pc(r.timings!.fileStoredAfterWindowEnd[f])),
        ...CHECKED_FORMATS.map((f) => pc(r.timings!.fileCataloguedAfterWindowEnd[f])), `${r.timings!.streamsFullyCatalogued}/${r.n}`])), '');
  }

  const problems = report.runs.filter((r) => r.problemSample.length);
  if (problems.length) {
    out.push('## Problems found (first few per run)', '');
    for (const r of problems) {
      out.push(`- **${r.system}, N=${r.n}**`);
      for (const p of r.problemSample) out.push(`  - ${p}`);
    }
    out.push('');
  }
  return out.join('\n');
}

export function writeReport(report: CapacityReport, jsonPath: string, mdPath: string): void {
  summarize(report);
  mkdirSync(dirname(jsonPath), { recursive: true });
  // Six decimals are plenty (µs, ppm) and keep float noise out of the file.
  const rounded = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v);
  writeFileSync(jsonPath, JSON.stringify(report, rounded, 2) + '\n');
  writeFileSync(mdPath, renderMarkdown(report) + '\n');
}

export function printTable(runs: RunResult[]): void {
  const { head, rows } = mainTable(runs);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
