// What a thumbnail costs: CPU (ffmpeg child processes, from /proc/self/stat) and wall time per
// keyframe decode at each tier, and per sprite-sheet composition. Prints a table; not in npm test.
//   npx tsx load-tests/thumbnail-cost.ts
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { composeSpriteSheets, keyframeToJpeg } from '../libs/media/index.js';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds of this process's waited-for children. */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

function keyframe(width: number, height: number): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-frames:v', '1', '-c:v', 'libx264', '-b:v', '4M', '-f', 'h264', 'pipe:1'], { maxBuffer: 32 << 20 });
  if (r.status !== 0) throw new Error(String(r.stderr));
  return r.stdout;
}

async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  const wall = (performance.now() - t0) / runs;
  const cpu = ((childCpuSeconds() - cpu0) / runs) * 1000;
  console.log(`${label.padEnd(44)} ${cpu.toFixed(0).padStart(5)} ms CPU ${wall.toFixed(0).padStart(5)} ms wall`);
}

const RUNS = Number(process.env.RUNS ?? 20);
for (const [w, h] of [[1280, 720], [1920, 1080]]) {
  const kf = keyframe(w, h);
  for (const tier of [null, 720, 480, 360]) {
    if (tier && tier >= h) continue;
    await measure(`decode ${w}x${h} keyframe -> ${tier ? `${tier}p` : 'source'}`, RUNS, () => keyframeToJpeg('avc', kf, tier));
  }
}
const thumb = (await keyframeToJpeg('avc', keyframe(1280, 720), 360)).jpeg;
for (const n of [100, 1000]) {
  await measure(`sprite sheets of ${n} thumbnails (10x10 of 160x90)`, 3, () => composeSpriteSheets(Array.from({ length: n }, () => thumb), { tileWidth: 160, tileHeight: 90, columns: 10, rows: 10 }));
}
