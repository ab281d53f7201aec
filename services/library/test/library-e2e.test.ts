// End to end (issue 11): a VOD template with auto-merge over a real RTMP push
// recorded as three cycles gives one merged asset per format whose duration is the
// sum of its cycle files' (ffprobe), originals kept, category set, a cover of its own;
// post-processing attaches a 480p MP4 to the flv merge; signed callbacks reach a real
// HTTP server; DeleteVideo removes assets and their files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AddCategoryRequest, AddLiveAppSnapshotConfigRequest, AddLiveRecordNotifyConfigRequest, AddLiveRecordVodConfigRequest, AddTranscodeTemplateGroupRequest, DeleteVideoRequest,
  GetVideoInfoRequest, ListTranscodeTaskRequest, SearchMediaRequest, UpdateVideoInfoRequest,
  type AddCategoryResponse, type DeleteVideoResponse, type GetVideoInfoResponse, type ListTranscodeTaskResponse, type LiveRecordServiceClient,
  type SearchMediaResponse, type UpdateVideoInfoResponse, type VideoInfo,
} from '../../../libs/proto/index.js';
import { verifyCallback } from '../../notifier/src/callback-signing.js';
import { ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const AUTH_KEY = 'library-e2e-callback-key';
const PUSH_SECONDS = 16;
/** Three cycles: about 6 s, 6 s and 4 s of 2 s segments (the test media has a keyframe every 2 s). */
const CYCLE_SECONDS = 6;
const CYCLES = 3;

interface Received {
  id: string;
  event: string;
  body: Record<string, unknown>;
  signed: boolean;
}

function duration(path: string): number {
  return Number(ffprobe(path).format.duration);
}

describe('e2e - media library: assets, auto-compose, processing, callbacks', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  let receiver: Server;
  const received: Received[] = [];

  const search = (q: Partial<SearchMediaRequest>) => unary<object, SearchMediaResponse>(client, 'searchMedia', SearchMediaRequest.fromPartial({ streamName: 'cam', pageSize: 100, ...q }));
  const file = (v: VideoInfo | { objectKey: string }) => join(sys.storageRoot, v.objectKey);

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = JSON.parse(body) as Record<string, unknown>;
        const signed = verifyCallback(AUTH_KEY, String(req.headers['x-liverecord-timestamp']), String(req.headers['x-liverecord-signature']), body, Math.floor(Date.now() / 1000));
        received.push({ id: String(req.headers['x-liverecord-id']), event: String(json.event), body: json, signed });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    sys = await startSystem();
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    await unary(client, 'addLiveRecordNotifyConfig', AddLiveRecordNotifyConfigRequest.fromPartial({
      domainName: 'localhost', notifyUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks`, authKey: AUTH_KEY,
    }));
    // Thumbnails: each recorded file gets a cover (its thumbnail track), a merge a copy of its first file's.
    await unary(client, 'addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'vod', timeInterval: 2, sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg',
    }));
    await unary(client, 'addTranscodeTemplateGroup', AddTranscodeTemplateGroupRequest.fromPartial({
      transcodeTemplateGroupId: 'g480', name: 'sd', transcodeTemplateList: [{ definition: '480p', width: 854, height: 480 }],
    }));
    await unary(client, 'addLiveRecordVodConfig', AddLiveRecordVodConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'vod', streamName: 'cam', spaceId: 'space-1', cycleDuration: CYCLE_SECONDS, delayTime: 2,
      recordFormat: [
        { format: 'flv', autoCompose: true, videoProcess: ['compose'], processMethod: 'transcode', processTemplateId: 'g480', category: 'sports', tags: ['e2e'] },
        { format: 'm3u8', sliceDuration: 2, autoCompose: true, category: 'sports', tags: ['e2e'] },
        { format: 'mp4', autoCompose: true, category: 'sports', tags: ['e2e'] },
      ],
    }));
  });

  after(async () => {
    client?.close();
    const code = await sys?.stop();
    receiver?.close();
    assert.equal(code, 0, `the system exits cleanly on SIGTERM\n${sys?.logs().slice(-2000)}`);
  });

  it('registers every cycle file, merges each format into one asset, processes the merge, calls back once per event', async () => {
    const pusher = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/vod/cam`);
    assert.equal(await pusher.done, 0, 'the push completes');

    // The window (2 s) expires, the files are stored: every cycle file is an asset, then each format's merge.
    const merged = await waitFor('a merged asset per format', async () => {
      const r = await search({ source: 'compose' });
      return r.mediaList.length === 3 ? r.mediaList : null;
    }, 90000, 500);
    const originals = (await search({ source: 'record' })).mediaList;
    for (const format of ['flv', 'm3u8', 'mp4']) {
      const mine = originals.filter((v) => v.format === format).sort((a, b) => a.startTime.localeCompare(b.startTime));
      assert.equal(mine.length, CYCLES, `${CYCLES} ${format} cycle files`);
      for (const v of mine) {
        assert.equal(v.title, 'cam');
        assert.equal(v.cateName, 'sports');
        assert.deepEqual(v.tags, ['e2e']);
        assert.equal(v.spaceId, 'space-1');
        assert.ok(existsSync(file(v)), `original ${v.objectKey} kept`);
      }
      const m = merged.find((v) => v.format === format);
      assert.ok(m, `a merged ${format}`);
      assert.deepEqual(m.sourceVideoIds, mine.map((v) => v.videoId));
      assert.deepEqual([m.title, m.cateName, m.tags, m.spaceId], ['cam', 'sports', ['e2e'], 'space-1'], `the merged ${format}'s own category and tags`);
      assert.ok(Math.abs(m.duration - mine.reduce((s, v) => s + v.duration, 0)) <= 1, `merged ${format}: catalogued duration ${m.duration} s is its cycle files' together`);
      const sum = mine.reduce((s, v) => s + duration(file(v)), 0);
      const got = duration(file(m));
      assert.ok(Math.abs(got - sum) <= 1, `merged ${format} lasts ${got} s, its cycle files ${sum} s together`);
      assert.ok(got >= PUSH_SECONDS - 3, `merged ${format} holds the whole push (${got} s)`);
    }

    // A merge's cover is its own copy of its first file's.
    for (const m of merged) {
      const first = originals.find((v) => v.videoId === m.sourceVideoIds[0])!;
      assert.ok(first.coverUrl, `the first ${m.format} file has a cover`);
      const own = `${m.objectKey}.cover.jpg`;
      assert.match(m.coverUrl, new RegExp(`/${own.split('/').pop()!.replace(/\./g, '\\.')}\\?`), `the merged ${m.format} shows its own cover`);
      // A recorded file's cover sits beside it as <file>.{ext}.cover.jpg (its thumbnail track).
      assert.deepEqual(readFileSync(file({ objectKey: own })), readFileSync(file({ objectKey: `${first.objectKey}.cover.jpg` })));
    }

    // One continuous push: the merged playlist joins its files without a discontinuity.
    const mergedM3u8 = merged.find((v) => v.format === 'm3u8')!;
    assert.doesNotMatch(readFileSync(file(mergedM3u8), 'utf8'), /#EXT-X-DISCONTINUITY/);

    // The flv merge is processed with the 480p group: the task succeeds and the rendition is attached.
    const mergedFlv = merged.find((v) => v.format === 'flv')!;
    const task = await waitFor('the processing task to succeed', async () => {
      const r = await unary<object, ListTranscodeTaskResponse>(client, 'listTranscodeTask', ListTranscodeTaskRequest.fromPartial({ videoId: mergedFlv.videoId }));
      const t = r.transcodeTaskList[0];
      assert.notEqual(t?.taskStatus, 'failed', `task failed: ${t?.error}`);
      return t?.taskStatus === 'succeeded' ? t : null;
    }, 90000, 500);
    assert.equal(task.trigger, 'compose');
    const info = (await unary<object, GetVideoInfoResponse>(client, 'getVideoInfo', GetVideoInfoRequest.fromPartial({ videoId: mergedFlv.videoId }))).video!;
    assert.equal(info.status, 'Normal');
    assert.equal(info.renditions.length, 1);
    const rendition = info.renditions[0];
    assert.deepEqual([rendition.definition, rendition.width, rendition.height], ['480p', 854, 480]);
    const probe = ffprobe(file(rendition));
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.equal(probe.streams.find((s) => s.codec_type === 'video')?.height, 480);
    assert.ok(Math.abs(Number(probe.format.duration) - duration(file(mergedFlv))) <= 1, 'the rendition lasts as long as the merge');
    assert.match(rendition.url, /[?&]signature=[0-9a-f]{64}/, 'playback URLs are signed');

    // Callbacks: an asset_ready per asset (9 cycle files, 3 merges) and one process_finished, each id once, all signed.
    const library = () => received.filter((r) => r.event === 'asset_ready' || r.event === 'process_finished');
    await waitFor('the library callbacks', () => library().length >= CYCLES * 3 + 3 + 1, 30000);
    const ids = library().map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'each callback id delivered once');
    assert.ok(library().every((r) => r.signed), 'every callback carries a valid signature');
    assert.deepEqual(new Set(library().filter((r) => r.event === 'asset_ready').map((r) => r.body.video_id)), new Set([...originals, ...merged].map((v) => v.videoId)));
    const finished = library().find((r) => r.event === 'process_finished')!;
    assert.deepEqual([finished.body.video_id, finished.body.status, (finished.body.renditions as { height: number }[])[0].height], [mergedFlv.videoId, 'succeeded', 480]);
  });

  it('updates title, category and tags; search finds by them', async () => {
    const m3u8 = (await search({ source: 'compose' })).mediaList.find((v) => v.format === 'm3u8')!;
    const cat = (await unary<object, AddCategoryResponse>(client, 'addCategory', AddCategoryRequest.fromPartial({ cateName: 'highlights' }))).category!;
    const updated = (await unary<object, UpdateVideoInfoResponse>(client, 'updateVideoInfo', UpdateVideoInfoRequest.fromPartial({
      videoId: m3u8.videoId, title: 'Final cut', cateId: cat.cateId, tags: ['best'], updateTags: true,
    }))).video!;
    assert.deepEqual([updated.title, updated.cateName, updated.tags], ['Final cut', 'highlights', ['best']]);
    assert.deepEqual((await search({ cateId: cat.cateId })).mediaList.map((v) => v.videoId), [m3u8.videoId]);
    assert.deepEqual((await search({ title: 'final' })).mediaList.map((v) => v.videoId), [m3u8.videoId]);
    assert.deepEqual((await search({ tag: 'best' })).mediaList.map((v) => v.videoId), [m3u8.videoId]);
  });

  it('DeleteVideo removes assets and their files; an m3u8 merge keeps the segments it plays', async () => {
    const merged = (await search({ source: 'compose' })).mediaList;
    const flv = merged.find((v) => v.format === 'flv')!;
    const m3u8 = merged.find((v) => v.format === 'm3u8')!;
    const originalM3u8 = (await search({ source: 'record' })).mediaList.find((v) => v.format === 'm3u8')!;

    const r1 = await unary<object, DeleteVideoResponse>(client, 'deleteVideo', DeleteVideoRequest.fromPartial({ videoIds: [flv.videoId, 'vnope'] }));
    assert.deepEqual(r1.nonExistVideoIds, ['vnope']);
    assert.equal(r1.deletedObjects, 3, 'the merged flv, its rendition and its cover');
    assert.ok(!existsSync(file(flv)));
    assert.ok(!existsSync(file({ objectKey: `${flv.objectKey}.cover.jpg` })), 'the merge\'s cover is gone');
    assert.equal(flv.renditions.length, 1);
    assert.ok(!existsSync(file(flv.renditions[0])), 'the rendition file is gone');
    for (const v of flv.sourceVideoIds) {
      const o = (await unary<object, GetVideoInfoResponse>(client, 'getVideoInfo', GetVideoInfoRequest.fromPartial({ videoId: v }))).video!;
      assert.ok(existsSync(file(o)), 'the originals stay');
      assert.ok(existsSync(file({ objectKey: `${o.objectKey}.cover.jpg` })), 'with their covers');
    }

    await unary(client, 'deleteVideo', DeleteVideoRequest.fromPartial({ videoIds: [originalM3u8.videoId] }));
    assert.ok(!existsSync(file(originalM3u8)), 'the original playlist is gone');
    assert.ok(duration(file(m3u8)) >= PUSH_SECONDS - 3, 'the merged m3u8 still plays every segment');
    const gone = await unary<object, GetVideoInfoResponse>(client, 'getVideoInfo', GetVideoInfoRequest.fromPartial({ videoId: flv.videoId })).then(() => null, (e: { code: number; details: string }) => e);
    assert.equal(gone?.code, 5);
    assert.match(gone?.details ?? '', /^video_id: video .* not found/);
  });
});
