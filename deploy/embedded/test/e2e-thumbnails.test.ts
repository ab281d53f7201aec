// End to end: thumbnails while recording. A snapshot configuration over gRPC (validated), a real
// push of 1280x720 H.264, JPEGs in storage at the configured tier, the catalogue's listing, and
// per recorded file a sprite sheet and a WebVTT track whose cues cover the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  AddLiveAppSnapshotConfigRequest, DeleteLiveAppSnapshotConfigRequest, DeleteLiveStreamRecordIndexFilesRequest, DescribeLiveSnapshotConfigRequest, DescribeLiveStreamRecordIndexFileRequest,
  DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamSnapshotInfoRequest, UpdateLiveAppSnapshotConfigRequest,
  type AddLiveAppSnapshotConfigResponse, type DeleteLiveStreamRecordIndexFilesResponse, type DescribeLiveSnapshotConfigResponse, type DescribeLiveStreamRecordIndexFileResponse,
  type DescribeLiveStreamRecordIndexFilesResponse, type DescribeLiveStreamSnapshotInfoResponse, type LiveRecordServiceClient, type RecordIndexInfo,
} from '../../../libs/proto/index.js';
import { jpegSize } from '../../../libs/media/index.js';
import { S3Storage, s3Client } from '../../../libs/storage/index.js';
import { ffprobe, grpcClient, push, startS3, startSystem, tempDir, unary, waitFor, type RunningSystem, type TestS3 } from '../../../test-kit/index.js';

const PUSH_SECONDS = 14;
const CYCLE_SECONDS = 8;

function makeHdMedia(seconds: number): string {
  const file = join(tempDir('thumbs-media'), 'hd.flv');
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-f', 'flv', file,
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
    const pusher = push(makeHdMedia(PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/thumbs`);
    assert.equal(await pusher.done, 0, 'the push completes');

    // Both cycle files catalogued with their thumbnail tracks.
    const range = { domainName: 'localhost', appName: 'live', streamName: 'thumbs', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString() };
    const files = await waitFor('two files with thumbnail tracks', async () => {
      const r = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial(range));
      return r.totalNum === 2 && r.recordIndexInfoList.every((f) => f.thumbnailVttOssObject) ? r.recordIndexInfoList : null;
    }, 45000);

    // Sequence objects: one per interval, at 360p (640x360 from 1280x720); the latest object too.
    const dir = join(sys.storageRoot, 'snapshot/live/thumbs');
    const jpegs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
    assert.ok(jpegs.length >= PUSH_SECONDS / 2 - 2, `about one thumbnail per 2 s, got ${jpegs.length}`);
    for (const f of jpegs) {
      assert.match(f, /^\d{10}\.jpg$/);
      const v = ffprobe(join(dir, f)).streams[0];
      assert.deepEqual([v.codec_name, v.width, v.height], ['mjpeg', 640, 360], f);
    }
    const seconds = jpegs.map((f) => Number(f.slice(0, 10)));
    for (let i = 1; i < seconds.length; i++) assert.ok(seconds[i] - seconds[i - 1] >= 1, `one per interval: ${seconds.join(',')}`);
    const latest = join(sys.storageRoot, 'live/thumbs.jpg');
    assert.ok(existsSync(latest), 'the latest object');
    assert.equal(ffprobe(latest).streams[0].width, 640);

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
