// End to end: thumbnails while recording. A snapshot configuration over gRPC (validated), a real
// push of 1280x720 H.264 with a 1 s GOP, JPEGs in storage at the configured tier and at the
// configured 2 s interval (± one GOP; a sampler taking every keyframe would make twice as many),
// the "latest" object moving on at the interval during the push, the catalogue's listing, and per
// recorded file a sprite sheet and a WebVTT track whose cues cover the file. The same interval and
// "latest" object for a stream that is not recorded (a manual template never started).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  AddLiveAppRecordConfigRequest, AddLiveAppSnapshotConfigRequest, DeleteLiveAppSnapshotConfigRequest, DeleteLiveStreamRecordIndexFilesRequest, DescribeLiveSnapshotConfigRequest, DescribeLiveStreamRecordIndexFileRequest,
  DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamSnapshotInfoRequest, UpdateLiveAppSnapshotConfigRequest,
  type AddLiveAppSnapshotConfigResponse, type DeleteLiveStreamRecordIndexFilesResponse, type DescribeLiveSnapshotConfigResponse, type DescribeLiveStreamRecordIndexFileResponse,
  type DescribeLiveStreamRecordIndexFilesResponse, type DescribeLiveStreamSnapshotInfoResponse, type LiveRecordServiceClient, type RecordIndexInfo,
} from '../../../libs/proto/index.js';
import { jpegSize } from '../../../libs/media/index.js';
import { S3Storage, s3Client } from '../../../libs/storage/index.js';
import { ffprobe, grpcClient, push, startS3, startSystem, tempDir, unary, waitFor, type RunningSystem, type TestS3 } from '../../../test-kit/index.js';

const PUSH_SECONDS = 14;
const CYCLE_SECONDS = 8;
const INTERVAL_SECONDS = 2;
const GOP_SECONDS = 1;
/** Decoding, storing and cataloguing a thumbnail, beyond its interval and GOP. */
const LATENCY_MS = 2000;

function makeHdMedia(seconds: number): string {
  const file = join(tempDir('thumbs-media'), 'hd.flv');
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(25 * GOP_SECONDS), '-keyint_min', String(25 * GOP_SECONDS), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-f', 'flv', file,
  ]);
  if (r.status !== 0) throw new Error(`could not make test media: ${r.stderr}`);
  return file;
}

/** VTT cues as [startMs, endMs, target]. */
function vttCues(text: string): [number, number, string][] {
  const ms = (t: string) => {
    const [h, m, s] = t.split(':');
    return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
  };
  const lines = text.split('\n');
  const cues: [number, number, string][] = [];
  lines.forEach((l, i) => {
    const m = /^(\S+) --> (\S+)$/.exec(l);
    if (m) cues.push([ms(m[1]), ms(m[2]), lines[i + 1]]);
  });
  return cues;
}

describe('e2e - thumbnails while recording', () => {
  let sys: RunningSystem;
  let s3: TestS3;
  let client: LiveRecordServiceClient;
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  const call = <Res>(method: string, req: object) => unary<object, Res>(client, method, req);
  const rangeOf = (app: string, stream: string) => ({ domainName: 'localhost', appName: app, streamName: stream, startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString() });
  const snapshots = async (app: string, stream: string) => (await call<DescribeLiveStreamSnapshotInfoResponse>('describeLiveStreamSnapshotInfo',
    DescribeLiveStreamSnapshotInfoRequest.fromPartial({ ...rangeOf(app, stream), limit: 100 }))).liveStreamSnapshotInfoList;

  /**
   * Pushes PUSH_SECONDS of media and, while it plays, waits for each move of the stream's "latest"
   * object (its catalogue row's frame time), each within one interval and GOP (plus the time to
   * make it). Answers the frame times seen and the object's distinct modification times.
   */
  async function pushWatchingLatest(app: string, stream: string): Promise<{ frames: number[]; mtimes: number }> {
    const pusher = push(makeHdMedia(PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/${app}/${stream}`);
    let ended = false;
    const done = pusher.done.then((code) => {
      ended = true;
      return code;
    });
    const latestFrame = async () => {
      const row = (await snapshots(app, stream)).find((t) => t.isOverwrite);
      return row ? Date.parse(row.createTime) : null;
    };
    const frames = [await waitFor(`the latest object of ${app}/${stream} during the push`, latestFrame, 20000, 50)];
    const mtimes = new Set([statSync(join(sys.storageRoot, `${app}/${stream}.jpg`)).mtimeMs]);
    const bound = (INTERVAL_SECONDS + GOP_SECONDS) * 1000 + LATENCY_MS;
    for (;;) {
      const next = await waitFor(`the latest object of ${app}/${stream} moves on within ${bound} ms (seen: ${frames.join(',')})`, async () => {
        const f = await latestFrame();
        if (f !== null && f > frames[frames.length - 1]) return { f };
        return ended ? { f: null } : null;
      }, bound, 50);
      if (next.f === null) break;
      frames.push(next.f);
      mtimes.add(statSync(join(sys.storageRoot, `${app}/${stream}.jpg`)).mtimeMs);
    }
    assert.equal(await done, 0, 'the push completes');
    return { frames, mtimes: mtimes.size };
  }

  /** A stream's sequence thumbnails once all are catalogued: about one per interval, each gap within the interval ± one GOP. */
  async function assertAtTheInterval(app: string, stream: string, latest: { frames: number[]; mtimes: number }) {
    const expected = Math.floor(PUSH_SECONDS / INTERVAL_SECONDS);
    const sequence = await waitFor(`the thumbnails of ${app}/${stream} catalogued`, async () => {
      const seq = (await snapshots(app, stream)).filter((t) => !t.isOverwrite);
      return seq.length >= expected - 1 ? seq : null;
    }, 30000);
    const times = sequence.map((t) => Date.parse(t.createTime));
    assert.ok(times.length >= expected - 1 && times.length <= expected + 1, `${app}/${stream}: ${expected} ± 1 thumbnails in ${PUSH_SECONDS} s at ${INTERVAL_SECONDS} s, got ${times.length}`);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      assert.ok(gap >= (INTERVAL_SECONDS - GOP_SECONDS) * 1000 && gap <= (INTERVAL_SECONDS + GOP_SECONDS) * 1000, `${app}/${stream}: every gap within ${INTERVAL_SECONDS} s ± ${GOP_SECONDS} s: ${times.map((t, k) => k && t - times[k - 1]).slice(1).join(',')} ms`);
    }
    // The "latest" object moved on during the push, to the sequence thumbnails' frames, at least every other interval seen.
    assert.ok(latest.frames.length >= expected - 3, `the latest object seen moving ${latest.frames.length} times during the push: ${latest.frames.join(',')}`);
    for (const f of latest.frames) assert.ok(times.includes(f), `the latest object held a sequence thumbnail's frame (${f})`);
    assert.equal(latest.mtimes, latest.frames.length, 'and was written again each time');
    const row = (await snapshots(app, stream)).filter((t) => t.isOverwrite);
    assert.equal(row.length, 1);
    assert.equal(Date.parse(row[0].createTime), times[times.length - 1], 'the latest object ends with the last frame');
    return sequence;
  }

  before(async () => {
    s3 = await startS3();
    await s3.createBucket('thumbs');
    sys = await startSystem({
      LR_S3_ENDPOINT: s3.endpoint, LR_S3_ACCESS_KEY_ID: 'test', LR_S3_SECRET_ACCESS_KEY: 'test',
      LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_CYCLE_SECONDS: String(CYCLE_SECONDS), LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '2',
    });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    const code = await sys?.stop();
    await s3?.stop();
    assert.equal(code, 0, `the system exits cleanly on SIGTERM\n${sys?.logs().slice(-2000)}`);
  });

  it('manages snapshot configurations: validated, one per (domain, app), listed, updated, deleted', async () => {
    const refused = async (method: string, req: object, code: status, pattern: RegExp) => {
      const err = await call(method, req).then(() => null, (e: ServiceError) => e);
      assert.ok(err, `${method} should fail`);
      assert.equal(err.code, code, err.details);
      assert.match(err.details, pattern);
    };
    const add = (o: object) => AddLiveAppSnapshotConfigRequest.fromPartial({ domainName: 'localhost', appName: 'other', ...o });
    await refused('addLiveAppSnapshotConfig', add({ timeInterval: 0, sequenceOssObject: '../{StreamName}/{UnixTimestamp}.jpg' }), status.INVALID_ARGUMENT, /^sequence_oss_object/);
    await refused('addLiveAppSnapshotConfig', add({ timeInterval: 90, overwriteOssObject: 'x.jpg' }), status.INVALID_ARGUMENT, /^time_interval/);
    await refused('addLiveAppSnapshotConfig', add({ overwriteOssObject: 'x/{StreamName}.jpg', ossBucket: 'b1' }), status.INVALID_ARGUMENT, /^oss_bucket/);
    const added = await call<AddLiveAppSnapshotConfigResponse>('addLiveAppSnapshotConfig', add({ overwriteOssObject: 'x/{StreamName}.jpg' }));
    assert.equal(added.config?.timeInterval, 10);
    assert.equal(added.config?.resolution, 'source');
    await refused('addLiveAppSnapshotConfig', add({ overwriteOssObject: 'y/{StreamName}.jpg' }), status.ALREADY_EXISTS, /already exists/);
    await call('updateLiveAppSnapshotConfig', UpdateLiveAppSnapshotConfigRequest.fromPartial({ domainName: 'localhost', appName: 'other', timeInterval: 30, overwriteOssObject: 'y/{StreamName}.jpg' }));
    const listed = await call<DescribeLiveSnapshotConfigResponse>('describeLiveSnapshotConfig', DescribeLiveSnapshotConfigRequest.fromPartial({ domainName: 'localhost' }));
    assert.equal(listed.totalNum, 1);
    assert.equal(listed.liveStreamSnapshotConfigList[0].timeInterval, 30);
    assert.equal(listed.liveStreamSnapshotConfigList[0].overwriteOssObject, 'y/{StreamName}.jpg');
    await call('deleteLiveAppSnapshotConfig', DeleteLiveAppSnapshotConfigRequest.fromPartial({ domainName: 'localhost', appName: 'other' }));
    await refused('deleteLiveAppSnapshotConfig', DeleteLiveAppSnapshotConfigRequest.fromPartial({ domainName: 'localhost', appName: 'other' }), status.NOT_FOUND, /no snapshot configuration/);
    await refused('updateLiveAppSnapshotConfig', UpdateLiveAppSnapshotConfigRequest.fromPartial({ domainName: 'localhost', appName: 'other', overwriteOssObject: 'y/{StreamName}.jpg' }), status.NOT_FOUND, /no snapshot configuration/);
    await refused('describeLiveStreamSnapshotInfo', DescribeLiveStreamSnapshotInfoRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: 'x', startTime: startedAt, endTime: startedAt }), status.INVALID_ARGUMENT, /^end_time/);
  });

  it('stores keyframe JPEGs at the tier, catalogues them, and gives each file a sprite sheet and a WebVTT track', async () => {
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', timeInterval: 2, resolution: '360p',
      overwriteOssObject: '{AppName}/{StreamName}.jpg', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg',
    }));
    const latest = await pushWatchingLatest('live', 'thumbs');

    // Both cycle files catalogued with their thumbnail tracks.
    const range = { domainName: 'localhost', appName: 'live', streamName: 'thumbs', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString() };
    const files = await waitFor('two files with thumbnail tracks', async () => {
      const r = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial(range));
      return r.totalNum === 2 && r.recordIndexInfoList.every((f) => f.thumbnailVttOssObject) ? r.recordIndexInfoList : null;
    }, 45000);

    // Sequence objects: one per interval (± one GOP), at 360p (640x360 from 1280x720); the latest object too.
    await assertAtTheInterval('live', 'thumbs', latest);
    const dir = join(sys.storageRoot, 'snapshot/live/thumbs');
    const jpegs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
    for (const f of jpegs) {
      assert.match(f, /^\d{10}\.jpg$/);
      const v = ffprobe(join(dir, f)).streams[0];
      assert.deepEqual([v.codec_name, v.width, v.height], ['mjpeg', 640, 360], f);
    }
    const latestObject = join(sys.storageRoot, 'live/thumbs.jpg');
    assert.ok(existsSync(latestObject), 'the latest object');
    assert.equal(ffprobe(latestObject).streams[0].width, 640);

    // The catalogue lists them in the time range, paged by limit.
    const info = await waitFor('every thumbnail catalogued', async () => {
      const r = await call<DescribeLiveStreamSnapshotInfoResponse>('describeLiveStreamSnapshotInfo', DescribeLiveStreamSnapshotInfoRequest.fromPartial({ ...range, limit: 100 }));
      return r.liveStreamSnapshotInfoList.filter((t) => !t.isOverwrite).length === jpegs.length ? r : null;
    }, 15000);
    const sequence = info.liveStreamSnapshotInfoList.filter((t) => !t.isOverwrite);
    assert.deepEqual(sequence.map((t) => t.ossObject), jpegs.map((f) => `snapshot/live/thumbs/${f}`));
    const thumbUrl = new URL(sequence[0].url);
    assert.equal((await fetch(`http://127.0.0.1:${sys.ports.http}${thumbUrl.pathname}${thumbUrl.search}`)).status, 200, 'a thumbnail\'s signed URL plays');
    for (const t of sequence) {
      assert.equal(Math.floor(Date.parse(t.createTime) / 1000), Number(t.ossObject.split('/').pop()!.slice(0, 10)));
      assert.deepEqual([t.width, t.height], [640, 360]);
      assert.ok(t.size > 0 && t.recordingId);
    }
    const overwrite = info.liveStreamSnapshotInfoList.filter((t) => t.isOverwrite);
    assert.deepEqual(overwrite.map((t) => t.ossObject), ['live/thumbs.jpg']);
    assert.equal(overwrite[0].createTime, sequence[sequence.length - 1].createTime, 'the latest object holds the latest frame');
    const page = await call<DescribeLiveStreamSnapshotInfoResponse>('describeLiveStreamSnapshotInfo', DescribeLiveStreamSnapshotInfoRequest.fromPartial({ ...range, limit: 2 }));
    assert.equal(page.liveStreamSnapshotInfoList.length, 2);
    assert.equal(page.nextStartTime, info.liveStreamSnapshotInfoList[2].createTime);

    // Each file: a cover, sprite sheets and a track whose cues cover its duration, all next to the file.
    for (const f of files as RecordIndexInfo[]) {
      // Named after the whole file name: each format's file of a cycle has its own.
      const base = f.ossObject;
      assert.equal(f.thumbnailVttOssObject, `${base}.thumbnails.vtt`);
      assert.equal(f.coverOssObject, `${base}.cover.jpg`);
      assert.ok(f.coverUrl.includes(`${base}.cover.jpg?expires=`), f.coverUrl);
      assert.equal(ffprobe(join(sys.storageRoot, f.coverOssObject)).streams[0].width, 640);
      assert.ok(f.thumbnailSpriteOssObjects.length >= 1);
      const sprite = ffprobe(join(sys.storageRoot, f.thumbnailSpriteOssObjects[0])).streams[0];
      const cues = vttCues(readFileSync(join(sys.storageRoot, f.thumbnailVttOssObject), 'utf8'));
      assert.ok(cues.length >= 2, `cues: ${cues.length}`);
      assert.deepEqual([sprite.width, sprite.height], [160 * 10, 90 * Math.ceil(cues.length / 10)], '10 tiles of 160x90 a row');
      assert.equal(cues[0][0], 0, 'the first cue starts the file');
      for (let i = 1; i < cues.length; i++) assert.equal(cues[i][0], cues[i - 1][1], 'cues are contiguous');
      assert.ok(Math.abs(cues[cues.length - 1][1] - f.duration * 1000) <= 1, `the last cue ends the file (${cues[cues.length - 1][1]} ms, file ${f.duration} s)`);
      cues.forEach(([, , target], i) => assert.equal(target, `${base.split('/').pop()}.sprite-0.jpg#xywh=${(i % 10) * 160},${Math.floor(i / 10) * 90},160,90`));
      // Served for playback: the signed cover and track, and the track's sprite sheets signed inside it.
      const fetchOk = async (url: string, type: RegExp) => {
        const u = new URL(url);
        const res = await fetch(`http://127.0.0.1:${sys.ports.http}${u.pathname}${u.search}`);
        assert.equal(res.status, 200, url);
        assert.match(res.headers.get('content-type') ?? '', type);
        return res;
      };
      await fetchOk(f.coverUrl, /^image\/jpeg/);
      const served = await (await fetchOk(f.thumbnailVttUrl, /^text\/vtt/)).text();
      const signedSheet = vttCues(served)[0][2];
      assert.match(signedSheet, /\.sprite-0\.jpg\?expires=\d+&signature=[0-9a-f]{64}#xywh=0,0,160,90$/);
      await fetchOk(new URL(signedSheet.split('#')[0], f.thumbnailVttUrl).href, /^image\/jpeg/);
      const one = await call<DescribeLiveStreamRecordIndexFileResponse>('describeLiveStreamRecordIndexFile', DescribeLiveStreamRecordIndexFileRequest.fromPartial({ recordId: f.recordId }));
      assert.equal(one.recordIndexInfo?.thumbnailVttOssObject, f.thumbnailVttOssObject);
    }
    // Deleting a file with its objects takes its cover, sprite sheets and track along.
    const gone = files[0];
    const del = await call<DeleteLiveStreamRecordIndexFilesResponse>('deleteLiveStreamRecordIndexFiles', DeleteLiveStreamRecordIndexFilesRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: 'thumbs', recordId: [gone.recordId], removeFile: true }));
    assert.equal(del.recordDeleteInfoList[0].message, 'OK');
    for (const key of [gone.ossObject, gone.coverOssObject, gone.thumbnailVttOssObject, ...gone.thumbnailSpriteOssObjects]) assert.equal(existsSync(join(sys.storageRoot, key)), false, key);
    assert.ok(existsSync(join(sys.storageRoot, files[1].thumbnailVttOssObject)), 'the other file keeps its track');
    // The spool keeps nothing of the recording once it ended.
    await waitFor('the spool emptied', () => !existsSync(join(sys.dataDir, 'spool', files[0].recordingId, 'thumbs')), 15000);
  });

  it('snapshots a stream that is not recorded at the same interval, its latest object moving on during the push', async () => {
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'unrec', timeInterval: INTERVAL_SECONDS, resolution: '360p',
      overwriteOssObject: '{AppName}/{StreamName}.jpg', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{Sequence}.jpg',
    }));
    // The app's own template, manual and never started: the catch-all one does not record it either.
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'unrec', streamName: '*', onDemand: 7, delayTime: 15, recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
    }));
    const latest = await pushWatchingLatest('unrec', 'cam');
    const sequence = await assertAtTheInterval('unrec', 'cam', latest);
    assert.ok(sequence.every((t) => t.recordingId.startsWith('live-')), 'taken off the media plane, not by a recording');
    const files = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial(rangeOf('unrec', 'cam')));
    assert.equal(files.totalNum, 0, 'unrec/cam is not recorded');
  });

  it('stores thumbnails in the configuration\'s bucket', async () => {
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'cam', timeInterval: 1, resolution: '480p', ossBucket: 'thumbs', sequenceOssObject: '{StreamName}/{Sequence}.jpg',
    }));
    const pusher = push(makeHdMedia(6), `rtmp://127.0.0.1:${sys.ports.rtmp}/cam/s3`);
    assert.equal(await pusher.done, 0, 'the push completes');
    const range = { domainName: 'localhost', appName: 'cam', streamName: 's3', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString(), limit: 100 };
    const info = await waitFor('thumbnails catalogued', async () => {
      const r = await call<DescribeLiveStreamSnapshotInfoResponse>('describeLiveStreamSnapshotInfo', DescribeLiveStreamSnapshotInfoRequest.fromPartial(range));
      return r.liveStreamSnapshotInfoList.length >= 2 ? r.liveStreamSnapshotInfoList : null;
    }, 30000);
    const bucket = new S3Storage(s3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: 8 << 20 }), 'thumbs', s3.endpoint, 8 << 20);
    for (const t of info) {
      assert.equal(t.ossBucket, 'thumbs');
      assert.match(t.ossObject, /^s3\/\d+\.jpg$/);
      const chunks: Buffer[] = [];
      for await (const c of await bucket.read(t.ossObject)) chunks.push(c as Buffer);
      assert.deepEqual(jpegSize(Buffer.concat(chunks)), { width: 854, height: 480 });
    }
  });
});
