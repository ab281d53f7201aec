// Fuzz of the whole gRPC surface against the running system: every method of the
// proto with edge and random inputs. Replay a failure with LR_FUZZ_SEED=<seed>.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { grpcClient, seedCatalogue, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';
import { RequestFuzzer, describeRequest, fuzzSeed, loadService, prng, type MethodInfo } from '../../../test-kit/fuzz.js';
import { DescribeLiveStreamRecordIndexFilesRequest } from '../../../libs/proto/index.js';

const SEED = fuzzSeed();
const CASES_PER_METHOD = 300;
const CONCURRENCY = 8;
/** Codes that answer a bad or impossible request; anything else is a defect (the server failed, or hid why). */
const CLIENT_CODES = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.ALREADY_EXISTS, grpc.status.OUT_OF_RANGE]);
/** The system's resident memory may grow this much over the run (caches, JIT, the catalogue) and no more. */
const RSS_GROWTH_LIMIT = 256 * 1024 * 1024;

const STREAM = { domain_name: 'localhost', app_name: 'live', stream_name: 'fuzz' };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const FUZZ_DOMAIN = 'fuzz.example.com';

/** A valid request of every method: mutations of it reach past the first check. */
const BASELINES: Record<string, Record<string, unknown>> = {
  DescribeLiveStreamRecordIndexFiles: { ...STREAM, start_time: '2025-12-31T00:00:00Z', end_time: '2026-01-02T00:00:00Z', page_num: 1, page_size: 10, order: 'asc' },
  DescribeLiveStreamRecordIndexFile: { ...STREAM, record_id: 'r-fuzz-m3u8-0' },
  CreateLiveStreamRecordIndexFiles: { ...STREAM, oss_object: 'clips/fuzz', start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-01T00:00:20Z', end_time_included: true },
  DeleteLiveStreamRecordIndexFiles: { ...STREAM, record_id: ['no-such-record'], remove_file: false },
  DescribeLiveStreamRecordContent: { ...STREAM, start_time: '2025-12-31T00:00:00Z', end_time: '2026-01-02T00:00:00Z' },
  RealTimeRecordCommand: { ...STREAM, command: 'stop' },
  DescribeLiveStreamRecordStatus: { ...STREAM },
  AddLiveAppRecordConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live', stream_name: 's1', record_format: [{ format: 'm3u8', slice_duration: 10, cycle_duration: 3600 }] },
  UpdateLiveAppRecordConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live', stream_name: 's1', record_format: [{ format: 'flv', cycle_duration: 3600 }] },
  DeleteLiveAppRecordConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live', stream_name: 's1' },
  DescribeLiveRecordConfig: { domain_name: FUZZ_DOMAIN, page_num: 1, page_size: 10, order: 'desc' },
  AddLiveRecordVodConfig: { domain_name: FUZZ_DOMAIN, app_name: 'vod', stream_name: 's1', record_format: [{ format: 'm3u8', slice_duration: 10 }] },
  DeleteLiveRecordVodConfig: { domain_name: FUZZ_DOMAIN, app_name: 'vod', stream_name: 's1' },
  DescribeLiveRecordVodConfigs: { domain_name: FUZZ_DOMAIN, page_num: 1, page_size: 10 },
  AddLiveRecordNotifyConfig: { domain_name: FUZZ_DOMAIN, notify_url: 'http://127.0.0.1:9/callback', need_status_notify: true, auth_key: 'fuzz-secret-key' },
  DescribeLiveRecordNotifyConfig: { domain_name: FUZZ_DOMAIN },
  DeleteLiveRecordNotifyConfig: { domain_name: FUZZ_DOMAIN },
  CreateApiKey: { name: 'fuzz', scope: 'read' },
  ListApiKeys: {},
  RevokeApiKey: { key_id: '0123456789abcdef' },
  SetPublishAuthKeys: { domain_name: FUZZ_DOMAIN, primary_key: 'fuzz-primary-key-0123', secondary_key: 'fuzz-secondary-key-0123' },
  DescribePublishAuth: { domain_name: FUZZ_DOMAIN },
  DescribeLiveRecordUsage: { domain_name: FUZZ_DOMAIN, start_month: '2026-01', end_month: '2026-02' },
  AddLiveAppSnapshotConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live', time_interval: 5, resolution: '360p', overwrite_oss_object: '{AppName}/{StreamName}.jpg', sequence_oss_object: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg' },
  UpdateLiveAppSnapshotConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live', time_interval: 10, sequence_oss_object: 'snapshot/{StreamName}/{Sequence}.jpg' },
  DeleteLiveAppSnapshotConfig: { domain_name: FUZZ_DOMAIN, app_name: 'live' },
  DescribeLiveSnapshotConfig: { domain_name: FUZZ_DOMAIN, page_num: 1, page_size: 10, order: 'asc' },
  DescribeLiveStreamSnapshotInfo: { ...STREAM, start_time: '2025-12-31T00:00:00Z', end_time: '2026-01-02T00:00:00Z', limit: 10, order: 'desc' },
  AddCustomLiveStreamTranscode: { domain_name: FUZZ_DOMAIN, app_name: 'live', template: 'sd', template_type: 'h264', width: 640, height: 360, fps: 25, gop: 50, video_bitrate: 800, audio_bitrate: 64 },
  DescribeLiveStreamTranscodeInfo: { domain_name: FUZZ_DOMAIN, app_name: 'live' },
  DeleteLiveStreamTranscode: { domain_name: FUZZ_DOMAIN, app_name: 'live', template: 'sd' },
  SearchMedia: { domain_name: 'localhost', app_name: 'live', stream_name: 'fuzz', start_time: '2025-12-31T00:00:00Z', end_time: '2026-01-02T00:00:00Z', status: 'Normal', tag: 't', title: 'fuzz', source: 'record', page_no: 1, page_size: 10, sort_by: 'CreationTime:Asc' },
  GetVideoInfo: { video_id: 'vnosuchvideo' },
  UpdateVideoInfo: { video_id: 'vnosuchvideo', title: 'fuzz', cate_id: '', tags: ['a'], update_tags: true },
  DeleteVideo: { video_ids: ['vnosuchvideo'] },
  AddCategory: { cate_name: 'fuzz' },
  GetCategories: { page_no: 1, page_size: 10 },
  DeleteCategory: { cate_id: 'cnosuchcategory' },
  AddTranscodeTemplateGroup: { name: 'fuzz', transcode_template_list: [{ definition: '360p', width: 640, height: 360, video_bitrate: 800, audio_bitrate: 64, container: 'mp4' }] },
  ListTranscodeTemplateGroup: {},
  DeleteTranscodeTemplateGroup: { transcode_template_group_id: 'gnosuchgroup' },
  SubmitTranscodeJobs: { video_id: 'vnosuchvideo', template_group_id: 'gnosuchgroup' },
  ListTranscodeTask: { video_id: 'vnosuchvideo', task_status: 'queued', page_no: 1, page_size: 10 },
  GetTranscodeTask: { transcode_task_id: 'tnosuchtask' },
};

interface Outcome {
  method: string;
  request: Record<string, unknown>;
  code: grpc.status;
  details: string;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Why an outcome is a defect, or null when it is a proper answer. */
function defectOf(o: Outcome, m: MethodInfo): string | null {
  if (!CLIENT_CODES.has(o.code)) return `answered ${grpc.status[o.code]}`;
  if (o.code === grpc.status.OK) return null;
  if (!o.details.trim()) return `${grpc.status[o.code]} without a message`;
  if (o.code !== grpc.status.INVALID_ARGUMENT) return null;
  // "record_format[3].format: unknown format …": the root of the path must be a field of the request.
  const root = /^([a-z_]+)(?:\[\d+\])?(?:\.[a-z_\[\]0-9.]+)?: /.exec(o.details)?.[1];
  if (!root || !m.fields.some((f) => f.name === root)) return `INVALID_ARGUMENT whose message names no field of ${m.requestType}`;
  return null;
}

describe('gRPC fuzz', () => {
  let sys: RunningSystem;

  before(async () => {
    sys = await startSystem();
    // Something to find, clip and delete: 30 segments of 2 s and 3 files of one minute.
    await seedCatalogue(sys.natsUrl, { stream: { domain: 'localhost', app: 'live', stream: 'fuzz' }, recordingId: 'r-fuzz', startMs: T0, segments: 30, files: 3 });
    const c = grpcClient(sys.ports.grpc, sys.adminKey);
    const q = DescribeLiveStreamRecordIndexFilesRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: 'fuzz', startTime: '2025-12-31T00:00:00Z', endTime: '2026-01-02T00:00:00Z' });
    await waitFor('the seeded files in the catalogue', async () => (await unary<typeof q, { totalNum: number }>(c, 'describeLiveStreamRecordIndexFiles', q)).totalNum === 3);
    c.close();
  });

  after(async () => {
    await sys?.stop();
  });

  it('answers every input of every method with a client status naming the field; nothing crashes, restarts or grows', async (t) => {
    t.diagnostic(`seed ${SEED} (replay: LR_FUZZ_SEED=${SEED} npm test -- grpc-fuzz)`);
    console.log(`grpc fuzz seed ${SEED}`);
    const { definition, methods } = loadService();
    const missing = methods.filter((m) => !BASELINES[m.name]).map((m) => m.name);
    assert.deepEqual(missing, [], 'every method of the proto needs a baseline request here');

    const fuzz = new RequestFuzzer(definition, prng(SEED));
    const cases: { method: MethodInfo; request: Record<string, unknown> }[] = [];
    for (const m of methods) {
      for (let i = 0; i < CASES_PER_METHOD; i++) {
        // A request without fields (ListApiKeys) has nothing to mutate: only its baseline and random messages.
        const request = i === 0 || !m.fields.length ? BASELINES[m.name] : fuzz.pick([0, 1, 1, 1]) === 0 ? fuzz.message(m.requestType, true) : fuzz.mutate(BASELINES[m.name], m);
        cases.push({ method: m, request });
      }
    }
    // Shuffled (from the same seed) so that methods interleave as in real traffic.
    const shuffle = prng(SEED ^ 0x5bd1e995);
    for (let i = cases.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [cases[i], cases[j]] = [cases[j], cases[i]];
    }

    const Service = grpc.loadPackageDefinition(definition).liverecord as unknown as { v1: { LiveRecordService: grpc.ServiceClientConstructor } };
    const client = new Service.v1.LiveRecordService(`127.0.0.1:${sys.ports.grpc}`, grpc.credentials.createInsecure());
    const rssBefore = rssBytes(sys.process.pid!);
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const { method, request } = cases[next++];
        const outcome = await new Promise<Outcome>((resolve) => {
          const fn = (client as unknown as Record<string, (r: unknown, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void>)[method.name];
          const md = new grpc.Metadata();
          md.set('authorization', `Bearer ${sys.adminKey}`);
          fn.call(client, request, md, { deadline: Date.now() + 30000 }, (err) => {
            resolve({ method: method.name, request, code: err ? err.code : grpc.status.OK, details: err?.details ?? '' });
          });
        });
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    client.close();

    const byMethod = new Map(methods.map((m) => [m.name, m]));
    const defects = outcomes.map((o) => ({ o, why: defectOf(o, byMethod.get(o.method)!) })).filter((d) => d.why);
    const report = defects.slice(0, 15).map((d) => `${d.o.method}: ${d.why}: ${d.o.details.slice(0, 200)}\n    request ${describeRequest(d.o.request)}`).join('\n');
    const codes = outcomes.reduce<Record<string, number>>((acc, o) => ((acc[grpc.status[o.code]] = (acc[grpc.status[o.code]] ?? 0) + 1), acc), {});
    t.diagnostic(`${outcomes.length} calls: ${JSON.stringify(codes)}`);
    if (defects.length) {
      // The whole system log, for the replay: the first errors are in the message, the rest in the file.
      const logFile = join(sys.dataDir, 'system.log');
      writeFileSync(logFile, sys.logs());
      const systemErrors = sys.logs().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(0, 10).map((l) => l.slice(0, 600)).join('\n');
      assert.fail(`seed ${SEED}: ${defects.length} defective answers:\n${report}\nsystem errors (all logs in ${logFile}):\n${systemErrors}`);
    }

    // The system is still whole: same process, broker and services never restarted, nothing escaped, healthy.
    assert.equal(sys.process.exitCode, null, 'the system process is alive');
    const logs = sys.logs();
    for (const sign of ['service failed; restarting it', 'escaped every handler', 'nats-server exited unexpectedly', 'could not answer the request']) {
      assert.ok(!logs.includes(sign), `seed ${SEED}: the logs show "${sign}":\n${logs.split('\n').filter((l) => l.includes(sign)).slice(0, 3).join('\n')}`);
    }
    const health = await fetch(`http://127.0.0.1:${sys.ports.http}/healthz`);
    assert.equal(health.status, 200, `healthz: ${await health.text()}`);
    const rssAfter = rssBytes(sys.process.pid!);
    t.diagnostic(`system RSS ${Math.round(rssBefore / 1048576)} MB before, ${Math.round(rssAfter / 1048576)} MB after`);
    assert.ok(rssAfter - rssBefore <= RSS_GROWTH_LIMIT, `seed ${SEED}: RSS grew from ${rssBefore} to ${rssAfter} bytes`);
  });
});
