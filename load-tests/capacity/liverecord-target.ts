// liverecord as `npm start` runs it (deploy/embedded/main.ts in its own process, with its
// own nats-server and whatever it spawns), on free loopback ports and a fresh data folder.
import { rmSync } from 'node:fs';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { STREAMS, SUBJECTS, lastMessageOn, streamToken } from '../../libs/bus/index.js';
import { MEDIA_HEADERS } from '../../libs/media/index.js';
import { join } from 'node:path';
import { DescribeLiveStreamRecordIndexFilesRequest, type DescribeLiveStreamRecordIndexFilesResponse } from '../../libs/proto/index.js';
import { grpcClient, startSystem, unary, type RunningSystem } from '../../test-kit/index.js';
import { readEventLog } from './liverecord-events.js';
import {
  CHECKED_FORMATS, filesBelow, percentiles, sleep,
  type RecordingFiles, type SettleResult, type SystemUnderTest, type TimingReport,
} from './system-under-test.js';

export interface LiverecordOptions {
  sliceSeconds: number;
  /** Reconnect window of the default template. */
  delaySeconds: number;
  /** How long after the reconnect window ends the files may take before the wait gives up. */
  settleSeconds: number;
}

/** The streams are pushed to 127.0.0.1, which always maps to the default domain (LR_DEFAULT_DOMAIN, default localhost). */
const DEFAULT_DOMAIN = process.env.LR_DEFAULT_DOMAIN || 'localhost';
const APP = 'live';

/** Every stream's subject on the media plane ends with a session's end marker (Lr-End). */
async function everySessionEnded(jsm: JetStreamManager, streams: readonly string[]): Promise<boolean> {
  for (const stream of streams) {
    const subject = SUBJECTS.media(streamToken({ domain: DEFAULT_DOMAIN, app: APP, stream }));
    // Not answered (yet): asked again at the next poll, until the wait's deadline.
    const last = await lastMessageOn(jsm, STREAMS.media, subject).catch(() => null);
    if (!last?.header?.has(MEDIA_HEADERS.end)) return false;
  }
  return true;
}

/** What both liverecord targets share: the process of `npm start`'s system and its data. */
function processOf(sys: RunningSystem): Pick<SystemUnderTest, 'rtmpBase' | 'dataDir' | 'rootPids' | 'alive' | 'logTail' | 'stop' | 'removeData'> {
  return {
    rtmpBase: `rtmp://127.0.0.1:${sys.ports.rtmp}/${APP}`,
    dataDir: sys.dataDir,
    rootPids: () => (sys.process.pid && sys.process.exitCode === null ? [sys.process.pid] : []),
    alive: () => sys.process.exitCode === null && sys.process.signalCode === null,
    logTail: () => sys.logs().slice(-4000),
    async stop() {
      await sys.stop();
    },
    removeData() {
      rmSync(sys.dataDir, { recursive: true, force: true });
    },
  };
}

export async function startLiverecord(opts: LiverecordOptions): Promise<SystemUnderTest> {
  const sys = await startSystem({
    LR_DEFAULT_TEMPLATE_SLICE_SECONDS: String(opts.sliceSeconds),
    LR_DEFAULT_TEMPLATE_DELAY_SECONDS: String(opts.delaySeconds),
    LR_DEFAULT_TEMPLATE_FORMATS: CHECKED_FORMATS.join(','),
  }, undefined, { compiled: true }); // what `npm start` runs: compiled JavaScript
  const streamDir = (stream: string) => join(sys.storageRoot, 'record', APP, stream);
  const recordingsOf = (stream: string): RecordingFiles => {
    const all = filesBelow(streamDir(stream));
    return { m3u8: all.filter((f) => f.endsWith('.m3u8')), flv: all.filter((f) => f.endsWith('.flv')) };
  };
  const startedAtMs = Date.now();

  return {
    name: 'liverecord',
    records: true,
    ...processOf(sys),

    async waitForRecordings(streams, publishersEndedAtMs): Promise<SettleResult> {
      // Files are finalized only after the reconnect window: poll storage (no load on the
      // server) once a second until every stream has every format, or the deadline.
      const deadline = publishersEndedAtMs + (opts.delaySeconds + opts.settleSeconds) * 1000;
      let files = new Map<string, RecordingFiles>();
      let complete = false;
      while (true) {
        files = new Map(streams.map((s) => [s, recordingsOf(s)]));
        complete = [...files.values()].every((f) => CHECKED_FORMATS.every((fmt) => f[fmt].length > 0));
        if (complete || Date.now() >= deadline) break;
        await sleep(1000);
      }
      return { files, complete, waitedSeconds: (Date.now() - publishersEndedAtMs) / 1000 };
    },

    async collectTimings(streams, publishersEndedAtMs): Promise<TimingReport> {
      const log = await readEventLog(sys.natsUrl);
      const wanted = new Set(streams);
      // The reconnect window of a stream ends `delay` after its (last) unpublish event.
      const windowEndOf = (s: string) => (log.unpublishedAtMs.get(s) ?? publishersEndedAtMs) + opts.delaySeconds * 1000;
      const segmentLatency = log.segments.filter((e) => wanted.has(e.stream)).map((e) => (e.storedAtMs - e.segmentEndMs) / 1000);
      const storedAfter: Record<string, number[]> = {};
      for (const f of log.files) {
        if (!wanted.has(f.stream)) continue;
        (storedAfter[f.format] ??= []).push((f.storedAtMs - windowEndOf(f.stream)) / 1000);
      }
      // Catalogued = answered by the public API; its create time is when the index wrote the row.
      const cataloguedAfter: Record<string, number[]> = {};
      let streamsFullyCatalogued = 0;
      const client = grpcClient(sys.ports.grpc, sys.adminKey);
      try {
        for (const stream of streams) {
          const res = await unary<object, DescribeLiveStreamRecordIndexFilesResponse>(client, 'describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
            domainName: DEFAULT_DOMAIN, appName: APP, streamName: stream,
            startTime: new Date(startedAtMs - 3600_000).toISOString(), endTime: new Date(Date.now() + 3600_000).toISOString(), pageSize: 100,
          })).catch((err: unknown) => {
            // Counted as not catalogued (streamsFullyCatalogued), and said here.
            console.error(`catalogue query for ${stream} failed: ${(err as Error).message}`);
            return null;
          });
          const infos = res?.recordIndexInfoList ?? [];
          for (const info of infos) (cataloguedAfter[info.format] ??= []).push((Date.parse(info.createTime) - windowEndOf(stream)) / 1000);
          if (CHECKED_FORMATS.every((fmt) => infos.some((i) => i.format === fmt))) streamsFullyCatalogued++;
        }
      } finally {
        client.close();
      }
      const byFormat = (m: Record<string, number[]>) => Object.fromEntries(CHECKED_FORMATS.map((f) => [f, percentiles(m[f] ?? [])]));
      return {
        note: 'segment: JetStream time of lr.evt.storage.segment minus the payload\'s segment endMs; files: JetStream time of lr.evt.storage.file, '
          + 'and the gRPC catalogue\'s createTime, minus (lr.evt.ingest.unpublish at + reconnect window)',
        segmentEndToStored: percentiles(segmentLatency),
        fileStoredAfterWindowEnd: byFormat(storedAfter),
        fileCataloguedAfterWindowEnd: byFormat(cataloguedAfter),
        streamsFullyCatalogued,
      };
    },
  };
}

/**
 * The floor of the design the media-plane issue prescribes, measured on the same load:
 * `npm start`'s system running its ingest alone (LR_EMBEDDED_SERVICES=ingest) with its
 * nats-server. node-media-server parses every stream and the ingest publishes every
 * packet to the JetStream media stream (with no matcher, nothing is purged), and nothing
 * else happens: no decision, no consumer, no muxing, no storage. Whatever the whole system
 * costs on top of this is the recording itself.
 */
export async function startLiverecordIngestOnly(opts: { settleSeconds: number }): Promise<SystemUnderTest> {
  const sys = await startSystem({ LR_EMBEDDED_SERVICES: 'ingest' }, undefined, { compiled: true });
  return {
    name: 'liverecord-ingest',
    records: false,
    ...processOf(sys),

    async waitForRecordings(streams, publishersEndedAtMs): Promise<SettleResult> {
      // Done when the media stream took the last batches: every stream's subject ends with its session's
      // end marker (the ingest sends it after the session's last batch, retries included), its last
      // sequence holds still for a second (not its message count, which expiry lowers), and the
      // ingest lost no batch.
      const nc = await connect({ servers: sys.natsUrl });
      try {
        const jsm = await jetstreamManager(nc);
        const deadline = publishersEndedAtMs + opts.settleSeconds * 1000;
        let last = -1;
        let stillSince = Date.now();
        let still = false;
        while (Date.now() < deadline) {
          const seq = (await jsm.streams.info(STREAMS.media)).state.last_seq;
          if (seq !== last) {
            last = seq;
            stillSince = Date.now();
          } else if (Date.now() - stillSince >= 1000 && await everySessionEnded(jsm, streams)) {
            still = true;
            break;
          }
          await sleep(250);
        }
        const lost = sys.logs().includes('media batch lost');
        if (lost) console.error('liverecord-ingest: the ingest lost media batches (see its log): its cost is not the whole floor');
        return { files: new Map(streams.map((s) => [s, { m3u8: [], flv: [] }])), complete: still && !lost, waitedSeconds: (Date.now() - publishersEndedAtMs) / 1000 };
      } finally {
        await nc.close();
      }
    },

    async collectTimings() {
      return null;
    },
  };
}
