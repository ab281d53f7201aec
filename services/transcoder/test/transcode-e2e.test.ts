// End to end: a template recording the source and one rendition, a real push,
// ffmpeg transcoding through the media plane, files checked with ffprobe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { TranscodeStateChanged } from '../../../libs/bus/index.js';
import {
  AddCustomLiveStreamTranscodeRequest, AddLiveAppRecordConfigRequest, DeleteLiveStreamTranscodeRequest, DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamTranscodeInfoRequest,
  type DescribeLiveStreamRecordIndexFilesResponse, type DescribeLiveStreamTranscodeInfoResponse, type LiveRecordServiceClient,
} from '../../../libs/proto/index.js';
import { eventsOn, ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const PUSH_SECONDS = 12;
const template = { domainName: 'localhost', appName: 'live', template: 'sd', templateType: 'h264', width: 320, height: 180, fps: 25, gop: 25, videoBitrate: 300, audioBitrate: 64 };

function keysIn(root: string, dir: string): string[] {
  const abs = join(root, dir);
  return existsSync(abs) ? readdirSync(abs).map((f) => `${dir}/${f}`) : [];
}

/** Live-transcode ffmpeg processes the system runs (its direct children; other ffmpeg jobs, thumbnails or remuxes, do not count). */
function ffmpegChildren(pid: number): string[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /\bffmpeg\b.*-c:v libx264.*-f flv/.test(l));
}

describe('e2e - live transcoding: a source and a 320x180 rendition recorded, with a master playlist', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  const call = <Res>(method: string, req: object) => unary<object, Res>(client, method, req);
  const refused = async (p: Promise<unknown>): Promise<ServiceError> => {
    try {
      await p;
    } catch (err) {
      return err as ServiceError;
    }
    throw new Error('the call succeeded');
  };

  before(async () => {
    sys = await startSystem();
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    const code = await sys?.stop();
    assert.equal(code, 0, `the system exits cleanly on SIGTERM\n${sys?.logs().slice(-2000)}`);
  });

  it('manages transcoding templates: bad input names the field, a duplicate and an unknown one are refused', async () => {
    const bad = await refused(call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({ ...template, width: 321 })));
    assert.equal(bad.code, status.INVALID_ARGUMENT);
    assert.match(bad.details, /^width: must be even/);
    const noGop = await refused(call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({ ...template, gop: 0 })));
    assert.match(noGop.details, /^gop: /);

    await call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial(template));
    const dup = await refused(call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial(template)));
    assert.equal(dup.code, status.ALREADY_EXISTS);
    await call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({ ...template, appName: '*', template: 'other' }));

    const listed = await call<DescribeLiveStreamTranscodeInfoResponse>('describeLiveStreamTranscodeInfo', DescribeLiveStreamTranscodeInfoRequest.fromPartial({ domainName: 'localhost', appName: 'live' }));
    assert.deepEqual(listed.domainTranscodeList.map((t) => `${t.appName}/${t.template} ${t.width}x${t.height} ${t.audioCodec}`), ['*/other 320x180 aac', 'live/sd 320x180 aac']);

    await call('deleteLiveStreamTranscode', DeleteLiveStreamTranscodeRequest.fromPartial({ domainName: 'localhost', appName: '*', template: 'other' }));
    const gone = await refused(call('deleteLiveStreamTranscode', DeleteLiveStreamTranscodeRequest.fromPartial({ domainName: 'localhost', appName: '*', template: 'other' })));
    assert.equal(gone.code, status.NOT_FOUND);
  });

  it('records the rendition under transcodeRecord naming at the template size, with a master playlist over both', async () => {
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'demo', delayTime: 2,
      recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
      transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8', sliceDuration: 2 }, { format: 'flv' }],
    }));
    const pusher = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/demo`);
    const started = await waitFor('the rendition to start', async () => (await eventsOn<TranscodeStateChanged>(sys.natsUrl, 'lr.evt.transcode.state')).find((e) => e.state === 'started'), 30000);
    assert.deepEqual(started.rendition, { domain: 'localhost', app: 'live', stream: 'demo_sd' });
    assert.ok(ffmpegChildren(sys.process.pid!).length >= 1, 'an ffmpeg process transcodes while the source is live');
    assert.equal(await pusher.done, 0, 'the push completes');

    // The rendition: its own m3u8 and flv under the spec's transcodeRecord naming.
    const dir = 'transcodeRecord/live/demo_sd';
    const m3u8 = await waitFor('the rendition playlist', () => keysIn(sys.storageRoot, dir).find((k) => k.endsWith('.m3u8')), 60000);
    const flv = await waitFor('the rendition flv', () => keysIn(sys.storageRoot, dir).find((k) => k.endsWith('.flv')), 60000);
    assert.match(m3u8, /^transcodeRecord\/live\/demo_sd\/\d{4}(-\d{2}){5}_\d{4}(-\d{2}){5}\.m3u8$/);
    for (const key of keysIn(sys.storageRoot, dir).filter((k) => k.endsWith('.ts'))) assert.match(key, /^transcodeRecord\/live\/demo_sd\/\d{10}_\d+\.ts$/);
    for (const key of [m3u8, flv]) {
      const probe = ffprobe(join(sys.storageRoot, key));
      const video = probe.streams.find((s) => s.codec_name === 'h264') as { width?: number; height?: number } | undefined;
      assert.ok(video, `${key} has H.264 video`);
      assert.deepEqual([video.width, video.height], [320, 180], `${key} is at the template's size`);
      assert.ok(probe.streams.some((s) => s.codec_name === 'aac'), `${key} has AAC audio`);
      const duration = Number(probe.format.duration);
      assert.ok(duration > PUSH_SECONDS - 5 && duration < PUSH_SECONDS + 5, `${key} lasts about the push (${duration} s)`);
    }

    // The source's master playlist lists both variants with their sizes.
    const masterKey = await waitFor('the master playlist', () => keysIn(sys.storageRoot, 'record/live/demo').find((k) => k.endsWith('_master.m3u8')), 60000);
    const master = readFileSync(join(sys.storageRoot, masterKey), 'utf8');
    const variants = [...master.matchAll(/#EXT-X-STREAM-INF:([^\n]+)\n([^\n]+)/g)].map((m) => ({ attrs: m[1], uri: m[2] }));
    assert.equal(variants.length, 2, master);
    assert.match(variants[0].attrs, /RESOLUTION=640x360/);
    assert.match(variants[1].attrs, /RESOLUTION=320x180/);
    for (const v of variants) {
      assert.match(v.attrs, /BANDWIDTH=\d+/);
      assert.match(v.attrs, /CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
      assert.ok(existsSync(join(sys.storageRoot, posix.join(posix.dirname(masterKey), v.uri))), `${v.uri} resolves to a stored playlist`);
    }
    assert.equal(posix.normalize(posix.join(posix.dirname(masterKey), variants[1].uri)), m3u8);
    assert.ok(Number(/BANDWIDTH=(\d+)/.exec(variants[0].attrs)![1]) > Number(/BANDWIDTH=(\d+)/.exec(variants[1].attrs)![1]), 'the source is measured above the rendition');

    // Catalogued: Describe returns the master among the source's files, and the rendition's files under its stream.
    const list = await waitFor('the master in the catalogue', async () => {
      const r = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
        domainName: 'localhost', appName: 'live', streamName: 'demo', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString(),
      }));
      return r.recordIndexInfoList.some((f) => f.recordUrl.includes('_master.m3u8')) ? r : null;
    }, 30000);
    assert.equal(list.recordIndexInfoList.length, 2, 'the source playlist and its master');
    const renditionFiles = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'demo_sd', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString(),
    }));
    assert.deepEqual(renditionFiles.recordIndexInfoList.map((f) => f.format).sort(), ['flv', 'm3u8']);

    // The transcoder stopped with its source: the event says so and no ffmpeg is left.
    const stopped = (await eventsOn<TranscodeStateChanged>(sys.natsUrl, 'lr.evt.transcode.state')).find((e) => e.state === 'stopped');
    assert.equal(stopped?.reason, 'source_ended');
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no ffmpeg process is left');
  });
});
