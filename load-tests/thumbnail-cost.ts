// What a thumbnail costs in ffmpeg: CPU (ffmpeg child processes, from /proc/self/stat) and
// wall time per keyframe decode at each tier, and per sprite-sheet composition, and from them
// the CPU-s per stream-minute at a thumbnail interval (default 10 s). Not in npm test.
// Writes load-tests/reports/thumbnails-<date>.{json,md}.
//
//   npm run bench:thumbnails [-- --interval 10 --runs 20 --cycle-minutes 180]
//
// Only the ffmpeg processes are measured here (the recorder's own work per thumbnail — keyframe
// copy, spool write, storage put, event — is not): `npm run bench:transcode` measures the whole
// server with thumbnails on, for comparison.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSpriteSheets, keyframeToJpeg } from '../libs/media/index.js';
import { tileSize } from '../services/recorder/src/thumbnails/webvtt-track.js';
import { REPO_ROOT } from '../test-kit/index.js';
import { eachFlag, frameSize, positiveInt, positiveNumber } from './bench-flags.js';
import { readProcStat } from './capacity/process-tree-sampler.js';
import { machineInfo } from './bench-machine.js';

/** What the recorder does (thumbnail-track.ts): sheets of 10 x up to 10 tiles, at most 1000 thumbnails per file. */
const COLUMNS = 10;
const MAX_ROWS = 10;
const MAX_TRACK_THUMBNAILS = 1000;

interface Options {
  intervalSeconds: number;
  runs: number;
  /** Length of a recorded file: its sprite sheets are composed once, at its finalize. */
  cycleMinutes: number;
  sizes: [number, number][];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { intervalSeconds: 10, runs: Number(process.env.RUNS ?? 20), cycleMinutes: 180, sizes: [[1280, 720], [1920, 1080]] };
  eachFlag(argv, (flag, value, raw) => {
    switch (flag) {
      case '--interval': o.intervalSeconds = positiveNumber('interval', value()); break;
      case '--runs': o.runs = positiveInt('runs', value()); break;
      case '--cycle-minutes': o.cycleMinutes = positiveNumber('cycle-minutes', value()); break;
      case '--sizes': o.sizes = value().split(',').map((s) => frameSize('sizes', s)); break;
      case '--help':
        console.log('npm run bench:thumbnails -- [--interval 10] [--runs 20] [--cycle-minutes 180] [--sizes 1280x720,1920x1080]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option "${raw}" (try --help)`);
    }
  });
  return o;
}

/** CPU seconds of this process's waited-for children (cutime + cstime). */
function childCpuSeconds(): number {
  const s = readProcStat('self');
  if (!s) throw new Error('/proc/self/stat is not readable');
  return s.childrenSeconds;
}

/** One H.264 keyframe (Annex-B) of the test pattern, as a 25 fps stream at `kbps` would carry it. */
function keyframe(width: number, height: number, kbps: number): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-frames:v', '1', '-c:v', 'libx264', '-b:v', `${kbps}k`, '-f', 'h264', 'pipe:1'], { maxBuffer: 32 << 20 });
  if (r.status !== 0) throw new Error(String(r.stderr));
  return r.stdout;
}

interface Measured {
  label: string;
  runs: number;
  /** Per run, milliseconds. */
  cpuMs: { mean: number; p50: number; max: number };
  wallMs: { mean: number; p50: number; max: number };
}

const stats = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return { mean: s.reduce((a, x) => a + x, 0) / s.length, p50: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<Measured> {
  await fn(); // warm: the first run pays for the page cache
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = childCpuSeconds();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    cpu.push((childCpuSeconds() - c0) * 1000);
  }
  const m = { label, runs, cpuMs: stats(cpu), wallMs: stats(wall) };
  console.log(`${label.padEnd(52)} ${m.cpuMs.mean.toFixed(0).padStart(5)} ms CPU (p50 ${m.cpuMs.p50.toFixed(0)}, max ${m.cpuMs.max.toFixed(0)}) ${m.wallMs.mean.toFixed(0).padStart(5)} ms wall`);
  return m;
}

interface PerStreamMinute {
  source: string;
  tier: string;
  thumbnailsPerMinute: number;
  decodeCpuMs: number;
  /** The sprite sheets of one file (of cycleMinutes), spread over its minutes. */
  spriteCpuMsPerMinute: number;
  cpuSecondsPerStreamMinute: number;
}

const SHARED_NOTE = 'The machine was shared with other agents running tests at the same time. CPU-s per thumbnail and per minute (CPU time of the ffmpeg processes) is fairly robust to that; wall-clock times are not.';


async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const decodes: (Measured & { source: string; tier: string; keyframeBytes: number; jpegBytes: number; jpegSize: string })[] = [];
  // Source bitrates as a live stream of that size would have (the keyframe's size follows it).
  const kbpsOf = (h: number) => (h >= 1080 ? 4500 : h >= 720 ? 3000 : 1200);
  for (const [w, h] of o.sizes) {
    const kf = keyframe(w, h, kbpsOf(h));
    for (const tier of [null, 720, 480, 360]) {
      if (tier && tier >= h) continue;
      const out = await keyframeToJpeg('avc', kf, tier);
      const m = await measure(`decode ${w}x${h} keyframe -> ${tier ? `${tier}p` : 'source'}`, o.runs, () => keyframeToJpeg('avc', kf, tier));
      decodes.push({ ...m, source: `${w}x${h}`, tier: tier ? `${tier}p` : 'source', keyframeBytes: kf.length, jpegBytes: out.jpeg.length, jpegSize: `${out.width}x${out.height}` });
    }
  }

  // Sprite sheets: a file of cycleMinutes at the interval has this many thumbnails (capped like the recorder).
  const perFile = Math.min(MAX_TRACK_THUMBNAILS, Math.max(1, Math.round((o.cycleMinutes * 60) / o.intervalSeconds)));
  const sprites: (Measured & { thumbnails: number; thumbSize: string; tile: string })[] = [];
  for (const [w, h] of o.sizes) {
    const thumb = await keyframeToJpeg('avc', keyframe(w, h, kbpsOf(h)), null);
    const tile = tileSize(thumb.width, thumb.height);
    for (const n of [...new Set([100, perFile, 1000])].sort((a, b) => a - b)) {
      const layout = { ...tile, columns: COLUMNS, rows: Math.min(MAX_ROWS, Math.ceil(n / COLUMNS)) };
      const m = await measure(`sprite sheets of ${n} ${w}x${h} thumbnails (tiles ${tile.tileWidth}x${tile.tileHeight})`, 3, () => composeSpriteSheets(Array.from({ length: n }, () => thumb.jpeg), layout));
      sprites.push({ ...m, thumbnails: n, thumbSize: `${thumb.width}x${thumb.height}`, tile: `${tile.tileWidth}x${tile.tileHeight}` });
    }
  }

  const perMinute = 60 / o.intervalSeconds;
  const perStreamMinute: PerStreamMinute[] = decodes.map((d) => {
    // Measured with source-size thumbnails: for a lower tier (smaller JPEGs to scale) a slight overestimate.
    const sprite = sprites.find((s) => s.thumbSize === d.source && s.thumbnails === perFile)!;
    const spritePerMinute = sprite.cpuMs.mean / o.cycleMinutes; // the sheets are made once per file
    return {
      source: d.source, tier: d.tier, thumbnailsPerMinute: perMinute, decodeCpuMs: d.cpuMs.mean, spriteCpuMsPerMinute: spritePerMinute,
      cpuSecondsPerStreamMinute: (perMinute * d.cpuMs.mean + spritePerMinute) / 1000,
    };
  });

  const machine = machineInfo();
  const report = { startedAt, finishedAt: new Date().toISOString(), machine, sharedMachineNote: SHARED_NOTE, options: o, thumbnailsPerFile: perFile, decodes, sprites, perStreamMinute };

  const f0 = (v: number) => v.toFixed(0);
  const f3 = (v: number) => v.toFixed(3);
  const L: string[] = [`# Thumbnail cost (ffmpeg), ${startedAt}`, ''];
  L.push(`Machine: ${Object.entries(machine).map(([k, v]) => `${k} ${v}`).join('; ')}.`, '');
  L.push(`**${SHARED_NOTE}**`, '');
  L.push(`What the recorder runs per thumbnail (libs/media/thumbnail-images.ts): one ffmpeg decoding one H.264 keyframe (testsrc2, one frame at the bitrate of a live stream of that size: 3000 kbit/s at 720p, 4500 at 1080p) to a JPEG at the tier, `
    + `niced; per recorded file, one ffmpeg tiling its thumbnails (≤ ${MAX_TRACK_THUMBNAILS}) into sprite sheets of ${COLUMNS}x${MAX_ROWS} tiles of 160 px width. CPU is the ffmpeg children's user + system time (cutime/cstime of this process), `
    + `${o.runs} runs per decode (after one warm-up run), 3 per sprite composition. Only ffmpeg is counted: the recorder's own work per thumbnail is in the server figures of \`npm run bench:transcode\` (phase thumbs).`, '');
  L.push(`## CPU-s per stream-minute with a thumbnail every ${o.intervalSeconds} s`, '');
  L.push(`${perMinute.toFixed(1)} thumbnails per minute; sprite sheets of a ${o.cycleMinutes}-minute file (${perFile} thumbnails) spread over its minutes.`, '');
  L.push('| source | tier | decode CPU ms / thumbnail | sprite CPU ms / minute | **CPU-s per stream-minute** |', '|---|---|---|---|---|');
  for (const p of perStreamMinute) L.push(`| ${p.source} | ${p.tier} | ${f0(p.decodeCpuMs)} | ${p.spriteCpuMsPerMinute.toFixed(1)} | **${f3(p.cpuSecondsPerStreamMinute)}** |`);
  L.push('', '## Decodes (one keyframe → JPEG)', '');
  L.push('| source | tier | keyframe bytes | JPEG | CPU ms mean / p50 / max | wall ms mean / p50 / max |', '|---|---|---|---|---|---|');
  for (const d of decodes) L.push(`| ${d.source} | ${d.tier} | ${d.keyframeBytes} | ${d.jpegSize}, ${d.jpegBytes} B | ${f0(d.cpuMs.mean)} / ${f0(d.cpuMs.p50)} / ${f0(d.cpuMs.max)} | ${f0(d.wallMs.mean)} / ${f0(d.wallMs.p50)} / ${f0(d.wallMs.max)} |`);
  L.push('', '## Sprite sheets (one file\'s thumbnails → sheets)', '');
  L.push('| thumbnails | of | tile | CPU ms mean | wall ms mean |', '|---|---|---|---|---|');
  for (const s of sprites) L.push(`| ${s.thumbnails} | ${s.thumbSize} | ${s.tile} | ${f0(s.cpuMs.mean)} | ${f0(s.wallMs.mean)} |`);
  L.push('');

  const stamp = startedAt.slice(0, 19).replaceAll(':', '');
  const dir = join(REPO_ROOT, 'load-tests', 'reports');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `thumbnails-${stamp}`);
  writeFileSync(`${base}.json.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${base}.json.tmp`, `${base}.json`);
  writeFileSync(`${base}.md.tmp`, L.join('\n'));
  renameSync(`${base}.md.tmp`, `${base}.md`);
  console.log('');
  for (const p of perStreamMinute) console.log(`${p.source} -> ${p.tier}: ${f3(p.cpuSecondsPerStreamMinute)} CPU-s per stream-minute at one thumbnail every ${o.intervalSeconds} s`);
  console.log(`report: ${base}.json\n        ${base}.md`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
