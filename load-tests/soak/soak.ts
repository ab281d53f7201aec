// Soak: a few streams recorded for a long, time-compressed run (1 s segments, so
// a recording gathers thousands of segments), sampling the system every few
// seconds: RSS of every server process, the actors' KV snapshot sizes, open file
// descriptors of the node process, and catalogue latency (DescribeLiveStreamRecordIndexFiles).
// Flat lines are the pass criterion; the report says how each figure moved.
//
//   npx tsx load-tests/soak/soak.ts [--streams 4] [--minutes 20]
//
// Not part of the test suite. Loopback only; every process it starts is stopped.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { DescribeLiveStreamRecordIndexFilesRequest } from '../../libs/proto/index.js';
import { REPO_ROOT, grpcClient, startSystem, tempDir, unary } from '../../test-kit/index.js';
import { startLoadGenerator } from '../capacity/load-generator.js';
import { readTree } from '../capacity/process-tree-sampler.js';
import { sourceMedia } from '../capacity/source-media.js';

interface Sample {
  atS: number;
  rssMB: number;
  /** The node process tree's share and the broker's: which one grows. */
  nodeRssMB: number;
  natsRssMB: number;
  openFds: number;
  snapshotBytesMax: number;
  describeMs: number;
  segmentsStored: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} wants a positive number`);
  return v;
}

/** Slope of a least-squares line through the samples, per hour. */
function slopePerHour(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 3600;
}

async function main(): Promise<void> {
  const streams = arg('streams', 4);
  const minutes = arg('minutes', 20);
  const sys = await startSystem({
    LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '1', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '5', LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8,flv',
    LR_DEFAULT_TEMPLATE_CYCLE_SECONDS: String(6 * 3600),
  }, undefined, { compiled: true });
  const stop = async () => {
    await sys.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  const names = Array.from({ length: streams }, (_, i) => `soak${i}`);
  const gen = startLoadGenerator({ rtmpBase: `rtmp://127.0.0.1:${sys.ports.rtmp}/live`, streamNames: names, seconds: minutes * 60, sourceFile: sourceMedia(), workDir: tempDir('soak-push') });
  const nc = await connect({ servers: sys.natsUrl });
  const actors = await new Kvm(jetstream(nc)).open('lr_actors');
  const client = grpcClient(sys.ports.grpc, sys.adminKey);
  const samples: Sample[] = [];
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  try {
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10_000));
      const tree = readTree([sys.process.pid!]);
      let snapshotBytesMax = 0;
      for await (const k of await actors.keys()) snapshotBytesMax = Math.max(snapshotBytesMax, (await actors.get(k))?.value.length ?? 0);
      const t0 = performance.now();
      await unary(client, 'describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
        domainName: 'localhost', appName: 'live', streamName: names[0],
        startTime: new Date(started - 60_000).toISOString(), endTime: new Date(Date.now() + 60_000).toISOString(),
      }));
      const describeMs = performance.now() - t0;
      let segmentsStored = 0;
      for (const n of names) segmentsStored += readdirSync(join(sys.storageRoot, 'record/live', n)).filter((f) => f.endsWith('.ts')).length;
      const sample: Sample = {
        atS: Math.round((Date.now() - started) / 1000),
        rssMB: Math.round(tree.rssBytes / 1e5) / 10,
        nodeRssMB: Math.round((tree.rssBytesByCommand.node ?? 0) / 1e5) / 10,
        natsRssMB: Math.round((tree.rssBytesByCommand['nats-server'] ?? 0) / 1e5) / 10,
        openFds: readdirSync(`/proc/${sys.process.pid}/fd`).length,
        snapshotBytesMax, describeMs: Math.round(describeMs * 10) / 10, segmentsStored,
      };
      samples.push(sample);
      console.log(JSON.stringify(sample));
    }
  } finally {
    await gen.done;
    client.close();
    await nc.close();
    await stop();
  }
  // Compare the second half with the first: a leak grows, a flat line does not.
  const half = samples.slice(Math.floor(samples.length / 2));
  const xs = half.map((s) => s.atS);
  const report = {
    streams, minutes, samples,
    slopesPerHour: {
      rssMB: slopePerHour(xs, half.map((s) => s.rssMB)),
      nodeRssMB: slopePerHour(xs, half.map((s) => s.nodeRssMB)),
      natsRssMB: slopePerHour(xs, half.map((s) => s.natsRssMB)),
      openFds: slopePerHour(xs, half.map((s) => s.openFds)),
      snapshotBytesMax: slopePerHour(xs, half.map((s) => s.snapshotBytesMax)),
      describeMs: slopePerHour(xs, half.map((s) => s.describeMs)),
    },
  };
  const dir = join(REPO_ROOT, 'load-tests/reports');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  const last = samples[samples.length - 1];
  writeFileSync(`${base}.md`, [
    `# Soak: ${streams} streams, ${minutes} min, 1 s segments`, '',
    `Segments stored at the end: ${last?.segmentsStored ?? 0}.`, '',
    '| figure | first | last | slope per hour (second half) |', '| --- | --- | --- | --- |',
    ...(['rssMB', 'nodeRssMB', 'natsRssMB', 'openFds', 'snapshotBytesMax', 'describeMs'] as const).map((k) => `| ${k} | ${samples[0]?.[k]} | ${last?.[k]} | ${report.slopesPerHour[k].toFixed(2)} |`),
    '',
  ].join('\n'));
  console.log(`report: ${base}.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
