// End to end: the whole system as `npm start` runs it, a real RTMP push, files checked with ffprobe.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { MatchDecision } from '../../../libs/bus/index.js';
import {
  DescribeLiveStreamRecordIndexFileRequest, DescribeLiveStreamRecordIndexFilesRequest, RealTimeRecordCommandRequest,
  type DescribeLiveStreamRecordIndexFileResponse, type DescribeLiveStreamRecordIndexFilesResponse, type LiveRecordServiceClient,
} from '../../../libs/proto/index.js';
import { eventsOn, ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, videoPacketHashes, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const SLICE = 10;
const PUSH_SECONDS = 40;

function listKeys(root: string, dir: string): string[] {
  const abs = join(root, dir);
  return existsSync(abs) ? readdirSync(abs).map((f) => `${dir}/${f}`) : [];
}

describe('e2e - record one RTMP push into HLS', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  const startedAt = new Date(Date.now() - 60_000).toISOString();

  before(async () => {
    sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: String(SLICE), LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '3' });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    const code = await sys?.stop();
    assert.equal(code, 0, `the system exits cleanly on SIGTERM\n${sys?.logs().slice(-2000)}`);
  });

  it('records 40 s of H.264/AAC into a playable, catalogued m3u8 whose video is the source bit for bit', async () => {
    const source = makeTestMedia('h264-aac', PUSH_SECONDS);
    const pusher = push(source, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/demo`);
    assert.equal(await pusher.done, 0, 'the push completes');

    const dir = 'record/live/demo';
    const playlistKey = await waitFor('the playlist in storage', () => listKeys(sys.storageRoot, dir).find((k) => k.endsWith('.m3u8')), 30000);
    assert.match(playlistKey, /^record\/live\/demo\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.m3u8$/);
    const segmentKeys = listKeys(sys.storageRoot, dir).filter((k) => k.endsWith('.ts'));
    assert.ok(segmentKeys.length >= 4, `expected at least 4 segments of ${SLICE} s, got ${segmentKeys.length}`);
    for (const key of segmentKeys) assert.match(key, /^record\/live\/demo\/\d{10}_\d+\.ts$/);

    const playlistPath = join(sys.storageRoot, playlistKey);
    const playlist = readFileSync(playlistPath, 'utf8');
    assert.match(playlist, /#EXT-X-ENDLIST/);
    assert.match(playlist, /#EXT-X-PROGRAM-DATE-TIME:/);
    const referenced = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(referenced.map((r) => `${dir}/${r}`).sort(), [...segmentKeys].sort(), 'the playlist references exactly the stored segments');

    const probe = ffprobe(playlistPath);
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - PUSH_SECONDS) <= SLICE, `duration ${duration} s within one segment of ${PUSH_SECONDS} s`);

    // -c copy really copied: the recorded video packets are a contiguous run of the source's.
    const src = videoPacketHashes(source);
    const rec = videoPacketHashes(playlistPath);
    const offset = src.indexOf(rec[0]);
    assert.ok(offset >= 0, 'the first recorded packet is a source packet');
    assert.deepEqual(rec, src.slice(offset, offset + rec.length), 'recorded packets equal the source packets, in order');
    assert.ok(src.length - rec.length <= SLICE * 25, `lost at most one segment of packets (source ${src.length}, recorded ${rec.length})`);

    // The HTTP port plays it back to a read key (and to nobody without one); the playlist's URIs come signed.
    assert.equal((await fetch(`http://127.0.0.1:${sys.ports.http}/${playlistKey}`)).status, 401);
    const res = await fetch(`http://127.0.0.1:${sys.ports.http}/${playlistKey}`, { headers: { authorization: `Bearer ${sys.adminKey}` } });
    assert.equal(res.status, 200);
    assert.equal((await res.text()).replace(/\?expires=\d+&signature=[0-9a-f]{64}/g, ''), playlist);

    // The catalogue answers over gRPC.
    const list = await waitFor('the catalogue entry', async () => {
      const r = await unary<object, DescribeLiveStreamRecordIndexFilesResponse>(client, 'describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
        domainName: 'localhost', appName: 'live', streamName: 'demo', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString(),
      }));
      return r.totalNum > 0 ? r : null;
    }, 15000);
    assert.equal(list.totalNum, 1);
    const info = list.recordIndexInfoList[0];
    assert.equal(info.ossObject, playlistKey);
    assert.equal(info.format, 'm3u8');
    assert.equal(info.width, 640);
    assert.equal(info.height, 360);
    assert.ok(Math.abs(info.duration - duration) < 1, `catalogued duration ${info.duration} matches the file's ${duration}`);
    assert.ok(Date.parse(info.endTime) > Date.parse(info.startTime));
    assert.ok(info.recordUrl.startsWith(`http://localhost:${sys.ports.http}/${playlistKey}?expires=`), info.recordUrl);
    const signed = new URL(info.recordUrl);
    assert.equal((await fetch(`http://127.0.0.1:${sys.ports.http}${signed.pathname}${signed.search}`)).status, 200, 'the signed record_url plays');

    const one = await unary<object, DescribeLiveStreamRecordIndexFileResponse>(client, 'describeLiveStreamRecordIndexFile', DescribeLiveStreamRecordIndexFileRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'demo', recordId: info.recordId,
    }));
    assert.deepEqual(one.recordIndexInfo, info);
  });

  it('refuses a stream with an unsupported codec: an evented reason, no files', async () => {
    const source = makeTestMedia('flv1-aac', 6);
    const pusher = push(source, `rtmp://127.0.0.1:${sys.ports.rtmp}/live/badcodec`);
    await pusher.done;
    const refused = await waitFor('the refusal event', async () => (await eventsOn<MatchDecision>(sys.natsUrl, 'lr.evt.match.decision')).find((d) => d.stream.stream === 'badcodec'), 15000);
    assert.equal(refused.record, false);
    assert.equal(refused.reason, 'unsupported_codec');
    assert.match(refused.detail, /flv1/);
    assert.match(sys.logs(), /"reason":"unsupported_codec"/);
    assert.equal(existsSync(join(sys.storageRoot, 'record/live/badcodec')), false, 'nothing was stored');
  });

  it('answers bad requests with the status and the field named', async () => {
    const builders: Record<string, { fromPartial(o: object): object }> = {
      describeLiveStreamRecordIndexFiles: DescribeLiveStreamRecordIndexFilesRequest,
      describeLiveStreamRecordIndexFile: DescribeLiveStreamRecordIndexFileRequest,
      realTimeRecordCommand: RealTimeRecordCommandRequest,
    };
    const bad = async (method: string, req: object, code: status, pattern: RegExp) => {
      const err = await unary(client, method, builders[method].fromPartial(req)).then(() => null, (e: ServiceError) => e);
      assert.ok(err, `${method} should fail`);
      assert.equal(err.code, code, `${method}: ${err.details}`);
      assert.match(err.details, pattern);
    };
    const range = { startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-02T00:00:00Z' };
    await bad('describeLiveStreamRecordIndexFiles', { appName: 'live', streamName: 'demo', ...range }, status.INVALID_ARGUMENT, /^domain_name/);
    await bad('describeLiveStreamRecordIndexFiles', { domainName: 'localhost', appName: 'live', streamName: 'demo', startTime: 'yesterday', endTime: range.endTime }, status.INVALID_ARGUMENT, /^start_time/);
    await bad('describeLiveStreamRecordIndexFiles', { domainName: 'localhost', appName: 'live', streamName: 'demo', startTime: range.endTime, endTime: range.startTime }, status.INVALID_ARGUMENT, /^end_time/);
    await bad('describeLiveStreamRecordIndexFiles', { domainName: 'localhost', appName: '../etc', streamName: 'demo', ...range }, status.INVALID_ARGUMENT, /^app_name/);
    await bad('describeLiveStreamRecordIndexFiles', { domainName: 'localhost', appName: 'live', streamName: 'demo', pageSize: 5000, ...range }, status.INVALID_ARGUMENT, /^page_size/);
    await bad('describeLiveStreamRecordIndexFile', { recordId: 'no-such-record' }, status.NOT_FOUND, /no-such-record/);
    await bad('describeLiveStreamRecordIndexFile', {}, status.INVALID_ARGUMENT, /^record_id/);
    await bad('realTimeRecordCommand', { domainName: 'localhost', appName: 'live', streamName: 'demo', command: 'explode' }, status.INVALID_ARGUMENT, /^command/);
    await bad('realTimeRecordCommand', { domainName: 'localhost', appName: 'live', streamName: 'offline', command: 'start' }, status.FAILED_PRECONDITION, /not live/);
  });
});
