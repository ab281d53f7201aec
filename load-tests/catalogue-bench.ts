// Catalogue benchmark: 1 M segments and 100 k files (each referencing its segments, as the
// recorder's files do), then p50/p99 of the index operations as the index service runs them.
// Prints the figures and writes load-tests/reports/catalogue-{driver}.md.
//   npm run bench:catalogue                       (SQLite in a temporary folder)
//   LR_POSTGRES_URL=postgres://... npm run bench:catalogue -- postgres
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StreamRef } from '../libs/bus/index.js';
import { LocalDiskStorage } from '../libs/storage/index.js';
import { CatalogueStore } from '../services/index/src/catalogue-store.js';
import { contentRanges } from '../services/index/src/index-file.js';
import { createIndexFile } from '../services/index/src/index-file-creator.js';

const driver = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const SEGMENTS = Number(process.env.BENCH_SEGMENTS ?? 1_000_000);
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const STREAMS = 50;
const CREATE_RUNS = Number(process.env.BENCH_CREATE_RUNS ?? 200);
/** Calls before the measured ones: statements prepared and code compiled, as in a service that has been running. */
const WARM_UP = 5;
const SEG_MS = 30_000;
const T0 = Date.UTC(2026, 9, 1);
const DAY = 24 * 3600 * 1000;
const dir = mkdtempSync(join(tmpdir(), 'lr-bench-'));

const streamOf = (i: number): StreamRef => ({ domain: 'bench.example', app: 'live', stream: `s${i}` });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

interface Timing { p50: number; p99: number; cpuP50: number; cpuP99: number; n: number }

/** Wall time per call, and this process's CPU time per call (what other processes on the machine do not inflate). */
async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = -WARM_UP; i < 0; i++) await fn(n + WARM_UP + i);
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpuMs.push((d.user + d.system) / 1000);
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99), cpuP50: pct(cpuMs, 50), cpuP99: pct(cpuMs, 99), n };
}

async function main(): Promise<void> {
  const store = await CatalogueStore.open(driver === 'sqlite' ? { driver, path: join(dir, 'bench.sqlite') } : { driver, url: process.env.LR_POSTGRES_URL ?? '' });
  const perStream = Math.ceil(SEGMENTS / STREAMS);
  const filesPerStream = Math.ceil(FILES / STREAMS);
  const segsPerFile = Math.max(1, Math.floor(perStream / filesPerStream));
  console.log(`loading ${SEGMENTS} segments and ${FILES} files into ${driver} (${STREAMS} streams, ${(perStream * SEG_MS / DAY).toFixed(1)} days each)...`);
  const loadStart = performance.now();
  const BATCH = 500;
  for (let s = 0; s < STREAMS; s++) {
    const st = streamOf(s);
    for (let i = 0; i < perStream; i += BATCH) {
      const rows = [];
      for (let j = i; j < Math.min(i + BATCH, perStream); j++) {
        const start = T0 + j * SEG_MS;
        rows.push({
          segment_id: `b${s}-${j}`, domain: st.domain, app: st.app, stream: st.stream, recording_id: `rec${s}-${Math.floor(j / 2880)}`,
          sequence: j, object_key: `record/live/s${s}/${Math.floor(start / 1000)}_${j}.ts`, storage_kind: 'local', bucket: '', endpoint: '',
          url: `http://h/record/live/s${s}/${Math.floor(start / 1000)}_${j}.ts`, start_ms: start, end_ms: start + SEG_MS, duration_ms: SEG_MS,
          discontinuity: 0, size: 3_000_000, sha256: '', created_ms: start,
        });
      }
      await store.db.insertInto('segments').values(rows).execute();
    }
    for (let f = 0; f < filesPerStream; f += BATCH) {
      const rows = [];
      for (let k = f; k < Math.min(f + BATCH, filesPerStream); k++) {
        const start = T0 + k * segsPerFile * SEG_MS;
        rows.push({
          record_id: `rf${s}-${k}`, domain: st.domain, app: st.app, stream: st.stream, recording_id: `rec${s}-${Math.floor((k * segsPerFile) / 2880)}`,
          format: 'm3u8', sequence: k, object_key: `record/live/s${s}/${k}.m3u8`, storage_kind: 'local', bucket: '', endpoint: '', url: 'http://h/x',
          start_ms: start, end_ms: start + segsPerFile * SEG_MS, duration_ms: segsPerFile * SEG_MS, width: 1920, height: 1080, size: 1000, sha256: '', created_ms: start,
        });
      }
      await store.db.insertInto('record_files').values(rows).execute();
      // Each file references its segments, as a recorder's playlist does: deletion and clips see a full table.
      const refs = rows.flatMap((r) => Array.from({ length: segsPerFile }, (_, n) => {
        const j = r.sequence * segsPerFile + n;
        return { record_id: r.record_id, segment_key: `record/live/s${s}/${Math.floor((T0 + j * SEG_MS) / 1000)}_${j}.ts` };
      }));
      for (let i = 0; i < refs.length; i += BATCH) await store.db.insertInto('file_segments').values(refs.slice(i, i + BATCH)).execute();
    }
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  // The load leaves a heap of garbage a service never has: collect it before measuring.
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  // Other processes on the machine show in the tails: the report says how busy it was.
  const busyBefore = loadavg()[0];
  console.log(`loaded in ${loadSeconds.toFixed(1)} s`);

  const span = perStream * SEG_MS;
  const storage = new LocalDiskStorage(join(dir, 'storage'), 'http://localhost/');
  const local = { kind: 'local' as const, bucket: '', endpoint: '' };
  const describeFirst = await timed(300, (i) => store.describeFiles({ stream: streamOf(i % STREAMS), startMs: T0, endMs: T0 + span, pageNum: 1, pageSize: 100, order: 'desc' }));
  const describeDeep = await timed(300, (i) => store.describeFiles({ stream: streamOf(i % STREAMS), startMs: T0, endMs: T0 + span, pageNum: 15, pageSize: 100, order: 'asc' }));
  const describeDay = await timed(300, (i) => store.describeFiles({ stream: streamOf(i % STREAMS), startMs: T0 + (i % 5) * DAY, endMs: T0 + (i % 5 + 1) * DAY, pageNum: 1, pageSize: 100, order: 'asc' }));
  let lastCount = 0;
  const create4Days = await timed(CREATE_RUNS, async (i) => {
    const r = await createIndexFile({ stream: streamOf(i % STREAMS), startMs: T0, endMs: T0 + 4 * DAY, endIncluded: false, target: local, objectKey: `clips/bench-${i}.m3u8` },
      { store, backendFor: () => storage });
    lastCount = r.segmentCount;
  });
  const contentMonth = await timed(50, async (i) => contentRanges(await store.segmentSpans(streamOf(i % STREAMS), T0, T0 + 30 * DAY), T0, T0 + 30 * DAY));
  await store.close();
  const busyAfter = loadavg()[0];

  const f = (x: number) => x.toFixed(2);
  const lines = [
    `# Catalogue benchmark (${driver})`,
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; load average ${busyBefore.toFixed(1)} before the queries, ${busyAfter.toFixed(1)} after.`,
    `Data: ${SEGMENTS.toLocaleString('en')} segments of 30 s and ${FILES.toLocaleString('en')} files over ${STREAMS} streams, each file referencing its segments; loaded in ${loadSeconds.toFixed(1)} s.`,
    '',
    '| query | runs | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    `| DescribeLiveStreamRecordIndexFiles, whole history, page 1 of 100, newest first | ${describeFirst.n} | ${f(describeFirst.p50)} | ${f(describeFirst.p99)} | ${f(describeFirst.cpuP50)} | ${f(describeFirst.cpuP99)} |`,
    `| DescribeLiveStreamRecordIndexFiles, whole history, page 15 of 100 | ${describeDeep.n} | ${f(describeDeep.p50)} | ${f(describeDeep.p99)} | ${f(describeDeep.cpuP50)} | ${f(describeDeep.cpuP99)} |`,
    `| DescribeLiveStreamRecordIndexFiles, one day | ${describeDay.n} | ${f(describeDay.p50)} | ${f(describeDay.p99)} | ${f(describeDay.cpuP50)} | ${f(describeDay.cpuP99)} |`,
    `| CreateLiveStreamRecordIndexFiles over 4 days (${lastCount.toLocaleString('en')} segments: playlist written and verified, file and references catalogued) | ${create4Days.n} | ${f(create4Days.p50)} | ${f(create4Days.p99)} | ${f(create4Days.cpuP50)} | ${f(create4Days.cpuP99)} |`,
    `| DescribeLiveStreamRecordContent over a month | ${contentMonth.n} | ${f(contentMonth.p50)} | ${f(contentMonth.p99)} | ${f(contentMonth.cpuP50)} | ${f(contentMonth.cpuP99)} |`,
    '',
    `Each query after ${WARM_UP} unmeasured calls, and after a full garbage collection that follows the load.`,
    'Measured on the code the index service runs for each request (for a clip: `createIndexFile`, i.e. query,',
    'selection, playlist, verified storage write, catalogue insert with its segment references); the NATS',
    'request and gRPC hops add about a millisecond each. CPU is this process\'s user and system time over all',
    `its threads (garbage-collector helpers, file I/O), per call: what other processes on the machine do not inflate${driver === 'postgres' ? ' (the PostgreSQL server\'s own work is not in it)' : ''}.`,
    '',
  ];
  const report = lines.join('\n');
  console.log(report);
  const out = join(import.meta.dirname ?? 'load-tests', 'reports');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `catalogue-${driver}.md`), report);
  console.log(`report written to ${join(out, `catalogue-${driver}.md`)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
