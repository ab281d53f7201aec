// The clustered deployment on loopback: three nats-server nodes from
// deploy/cluster's configuration, every stream and bucket at 3 replicas, every
// service in its own process (two ingest, two recorders), PostgreSQL catalogue.
// Ten live pushes; mid-recording the node leading the media plane (LR_MEDIA) and
// the recorder worker owning most streams are SIGKILLed. Every recording must
// still be one m3u8 and one flv holding every video packet of its push, and every
// event must be logged (and catalogued) once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { streamToken, type FileStored, type IngestPublished, type MatchDecision, type RecordingNotice, type SegmentStored } from '../../../libs/bus/index.js';
import { DescribeLiveStreamRecordIndexFilesRequest, type DescribeLiveStreamRecordIndexFilesResponse } from '../../../libs/proto/index.js';
import {
  freePort, grpcClient, makeTestMedia, push, startPostgres, tempDir, unary, videoPacketHashes, waitFor, type ThrowawayPostgres,
} from '../../../test-kit/index.js';
import { readEventLog, startNatsCluster, startServiceProcess, stopOnExit, type NatsCluster, type ServiceProcess, type StoredEvent } from '../../../test-kit/cluster.js';

const STREAMS = Array.from({ length: 10 }, (_, i) => `chaos${i}`);
const PUSH_SECONDS = 24;
const SETTINGS = {
  LR_NATS_REPLICAS: '3',
  LR_DEFAULT_TEMPLATE_FORMATS: 'm3u8,flv',
  LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2',
  LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3',
  LR_LEASE_TTL_MS: '3000',
  LR_RELAXED_LIMITS: '1',
  LR_BIND: '127.0.0.1',
  LR_LOG_LEVEL: 'info',
};

/** Fails with the subjects' duplicates named, so a broken exactly-once shows what repeated. */
function assertOncePer(events: StoredEvent[], keyOf: (e: StoredEvent) => string, what: string): Map<string, StoredEvent> {
  const seen = new Map<string, StoredEvent>();
  const repeated: string[] = [];
  for (const e of events) {
    const k = keyOf(e);
    if (seen.has(k)) repeated.push(`${k} (seq ${seen.get(k)!.seq} and ${e.seq}, msg ids ${seen.get(k)!.msgId} / ${e.msgId})`);
    else seen.set(k, e);
  }
  assert.deepEqual(repeated, [], `${what}: each once`);
  return seen;
}

describe('cluster chaos - a NATS node and a recorder die mid-recording', () => {
  it('every recording complete, no missing video packet, every event once', { timeout: 240_000 }, async () => {
    const source = makeTestMedia('h264-aac', PUSH_SECONDS);
    const src = videoPacketHashes(source);
    let pg: ThrowawayPostgres | null = null;
    let cluster: NatsCluster | null = null;
    let nc: NatsConnection | null = null;
    const services: ServiceProcess[] = [];
    const pushes: { kill(): void }[] = [];
    const killed = new Set<ServiceProcess>();
    let passed = false;
    // Data, spools and ingest stores: removed after a pass, kept for a look after a failure.
    const dirs: string[] = [];
    const ownDir = (prefix: string) => dirs[dirs.push(tempDir(prefix)) - 1];
    try {
      pg = await startPostgres();
      stopOnExit(pg.stop);
      cluster = await startNatsCluster(3);
      const dataDir = ownDir('cluster');
      const storageRoot = join(dataDir, 'storage');
      const ports = { grpc: await freePort(), http: await freePort(), rtmp: [await freePort(), await freePort()] };
      const common = {
        ...SETTINGS, LR_NATS_URL: cluster.url, LR_DATA_DIR: dataDir,
        LR_CATALOGUE_DRIVER: 'postgres', LR_POSTGRES_URL: pg.url, LR_GRPC_PORT: String(ports.grpc), LR_HTTP_PORT: String(ports.http),
      };
      const start = (service: string, extra: Record<string, string> = {}, label = service) => {
        const p = startServiceProcess(service, { ...common, ...extra }, label);
        services.push(p);
        return p;
      };
      // The first creates the streams and buckets at 3 replicas; the others find them in place.
      await start('index').ready();
      for (const s of ['storage-uploader', 'notifier', 'splice-timer', 'matcher', 'api']) start(s);
      const ingests = ports.rtmp.map((port, i) => start('ingest', { LR_RTMP_PORT: String(port), LR_INGEST_NODE_ID: `ingest-${i + 1}`, LR_DATA_DIR: ownDir(`ingest-${i + 1}`) }, `ingest-${i + 1}`));
      // Each worker has its own spool, as on separate hosts: the adopter cannot read the dead worker's files.
      const recorders: Record<string, ServiceProcess> = {};
      for (const id of ['w1', 'w2']) recorders[id] = start('recorder', { LR_WORKER_ID: id, LR_SPOOL_DIR: ownDir(`spool-${id}`) }, `recorder ${id}`);
      await Promise.all(services.map((s) => s.ready(90_000)));

      nc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      const leases = await new Kvm(jetstream(nc, { timeout: 5000 })).open('lr_leases');
      // Every stream and bucket any service made, or losing a node loses what it held.
      const single: string[] = [];
      for await (const si of jsm.streams.list()) if (si.config.num_replicas !== 3) single.push(`${si.config.name} (R${si.config.num_replicas})`);
      assert.deepEqual(single, [], 'every stream and KV bucket has 3 replicas');

      // Half the streams through each ingest.
      const pushed = STREAMS.map((s, i) => push(source, `rtmp://127.0.0.1:${ports.rtmp[i % 2]}/live/${s}`));
      pushes.push(...pushed);
      const tokenOf = (s: string) => streamToken({ domain: 'localhost', app: 'live', stream: s });
      const owners = await waitFor('an owner for every stream', async () => {
        const o: string[] = [];
        for (const s of STREAMS) {
          const e = await leases.get(tokenOf(s));
          if (!e || e.operation !== 'PUT') return null;
          o.push(e.string());
        }
        return o;
      }, 30000);
      const segmentsOf = (s: string) => {
        const dir = join(storageRoot, 'record/live', s);
        return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).length : 0;
      };
      // Mid-push: every recording has stored a few segments and is writing the next.
      await waitFor('recordings under way', () => STREAMS.every((s) => segmentsOf(s) >= 2), 30000);

      const leaderBefore = (await jsm.streams.info('LR_MEDIA')).cluster?.leader;
      assert.ok(leaderBefore, 'LR_MEDIA has a leader');
      const victim = owners.filter((o) => o === 'w1').length >= owners.filter((o) => o === 'w2').length ? 'w1' : 'w2';
      const survivor = victim === 'w1' ? 'w2' : 'w1';
      const adopted = STREAMS.filter((_, i) => owners[i] === victim);
      killed.add(recorders[victim]);
      await Promise.all([cluster.node(leaderBefore).kill(), recorders[victim].kill()]);

      const leaderAfter = await waitFor('a new leader of LR_MEDIA', async () => {
        const l = (await jsm.streams.info('LR_MEDIA')).cluster?.leader;
        return l && l !== leaderBefore ? l : null;
      }, 30000, 250);
      await waitFor('the surviving worker owns every stream', async () => {
        for (const s of adopted) {
          const e = await leases.get(tokenOf(s));
          if (e?.operation !== 'PUT' || e.string() !== survivor) return false;
        }
        return true;
      }, 30000, 250);
      assert.deepEqual(await Promise.all(pushed.map((p) => p.done)), STREAMS.map(() => 0), 'every push completed');

      for (const s of STREAMS) {
        const dir = join(storageRoot, 'record/live', s);
        const list = (ext: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)) : []);
        const [m3u8] = await waitFor(`${s}: its playlist`, () => list('.m3u8').length > 0 && list('.m3u8'), 60000, 250);
        const [flv] = await waitFor(`${s}: its flv`, () => list('.flv').length > 0 && list('.flv'), 60000, 250);
        assert.equal(list('.m3u8').length, 1, `${s}: one playlist`);
        assert.equal(list('.flv').length, 1, `${s}: one flv`);
        const text = readFileSync(join(dir, m3u8), 'utf8');
        assert.doesNotMatch(text, /#EXT-X-DISCONTINUITY/, `${s} (owner ${owners[STREAMS.indexOf(s)]}): no discontinuity\n${text}`);
        assert.deepEqual(videoPacketHashes(join(dir, m3u8)), src, `${s}: the m3u8 holds every video packet of the push, in order`);
        assert.deepEqual(videoPacketHashes(join(dir, flv)), src, `${s}: the flv holds every video packet of the push, in order`);
      }
      assert.ok(adopted.length > 0, 'the killed worker owned streams');
      assert.match(recorders[survivor].logs(), /adopting an actor whose owner is gone/);
      for (const i of ingests) assert.doesNotMatch(i.logs(), /media batch lost/, `${i.label} lost no media batch`);

      // Every event once in the log: one publish and one decision per push, one stored event per object.
      const log = await waitFor('every file event logged', async () => {
        const l = await readEventLog(cluster!.url);
        return (l.get('lr.evt.storage.file')?.length ?? 0) >= STREAMS.length * 2 ? l : null;
      }, 30000, 500);
      const of = (subject: string) => log.get(subject) ?? [];
      const files = assertOncePer(of('lr.evt.storage.file'), (e) => (e.data as FileStored).objectKey, 'lr.evt.storage.file per object key');
      assert.equal(files.size, STREAMS.length * 2, 'two files per stream (m3u8, flv)');
      for (const s of STREAMS) {
        const formats = [...files.values()].map((e) => (e.data as FileStored).file).filter((f) => f.stream.stream === s).map((f) => f.format).sort();
        assert.deepEqual(formats, ['flv', 'm3u8'], `${s}: its stored files`);
      }
      assertOncePer(of('lr.evt.storage.segment'), (e) => (e.data as SegmentStored).objectKey, 'lr.evt.storage.segment per object key');
      const published = assertOncePer(of('lr.evt.ingest.publish'), (e) => (e.data as IngestPublished).stream.stream, 'lr.evt.ingest.publish per stream');
      assert.equal(published.size, STREAMS.length);
      const decided = assertOncePer(of('lr.evt.match.decision'), (e) => (e.data as MatchDecision).stream.stream, 'lr.evt.match.decision per stream');
      assert.ok([...decided.values()].every((e) => (e.data as MatchDecision).record), 'every push recorded');
      assertOncePer(of('lr.evt.recording.notice'), (e) => `${(e.data as RecordingNotice).recordingId}:${(e.data as RecordingNotice).notice}`, 'lr.evt.recording.notice per recording');

      // ... and once in the catalogue, through the api and the index.
      // The api service wrote the admin key at its first start, into the shared data directory.
      const client = grpcClient(ports.grpc, readFileSync(join(dataDir, 'admin.key'), 'utf8').trim());
      try {
        for (const s of STREAMS) {
          const r = await waitFor(`${s}: two catalogued files`, async () => {
            const res = await unary<object, DescribeLiveStreamRecordIndexFilesResponse>(client, 'describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
              domainName: 'localhost', appName: 'live', streamName: s,
              startTime: new Date(Date.now() - 3600_000).toISOString(), endTime: new Date(Date.now() + 3600_000).toISOString(),
            }));
            return res.totalNum >= 2 ? res : null;
          }, 20000, 250);
          assert.equal(r.totalNum, 2, `${s}: one catalogue record per file`);
        }
      } finally {
        client.close();
      }
      assert.ok(leaderAfter !== leaderBefore);
      passed = true;
    } finally {
      for (const p of pushes) p.kill();
      // Cleanup after the assertions: a connection already gone needs no closing.
      await nc?.close().catch(() => undefined);
      const codes = await Promise.all(services.map(async (s) => [s.label, await s.stop()] as const));
      await cluster?.stop();
      if (!passed) {
        // Every process's log, to find out which side broke.
        const logDir = tempDir('cluster-chaos-logs');
        for (const s of services) writeFileSync(join(logDir, `${s.label.replace(/\W+/g, '-')}.log`), s.logs());
        for (const n of cluster?.nodes ?? []) writeFileSync(join(logDir, `${n.name}.log`), n.logs());
        console.error(`cluster chaos: logs in ${logDir} (data in ${dirs.join(', ')})`);
      }
      pg?.stop();
      // Checked only once everything is down, and only after a pass (not to hide the first failure).
      if (passed) {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
        for (const [label, code] of codes.filter(([l]) => ![...killed].some((k) => k.label === l))) assert.equal(code, 0, `${label} stops cleanly on SIGTERM with a node down`);
      }
    }
  });
});
