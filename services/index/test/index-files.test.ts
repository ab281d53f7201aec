// Clip, merge, content and delete over real recordings.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import * as pb from '../../../libs/proto/index.js';
import { ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const S = { domainName: 'localhost', appName: 'live', streamName: 'clip' };

describe('index files - clip, merge, content, delete', () => {
  let sys: RunningSystem;
  let client: pb.LiveRecordServiceClient;
  let files: pb.RecordIndexInfo[] = [];
  const call = <Res>(method: string, msg: { fromPartial(o: object): object }, req: object) => unary<object, Res>(client, method, msg.fromPartial(req));
  const err = (p: Promise<unknown>) => p.then(() => null, (e: ServiceError) => e);
  const iso = (ms: number) => new Date(ms).toISOString();
  const duration = (key: string) => Number(ffprobe(join(sys.storageRoot, key)).format.duration);

  before(async () => {
    sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1' });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    const media = makeTestMedia('h264-aac', 40);
    const url = `rtmp://127.0.0.1:${sys.ports.rtmp}/live/clip`;
    const list = async () => (await call<pb.DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', pb.DescribeLiveStreamRecordIndexFilesRequest, {
      ...S, startTime: iso(Date.now() - 3600_000), endTime: iso(Date.now() + 3600_000),
    })).recordIndexInfoList;
    await push(media, url, { seconds: 10 }).done;
    await waitFor('the first recording', async () => (await list()).length === 1, 20000);
    // Not a wait for an event: the scenario needs ≥ 2 s of wall time with no content between
    // the two recordings, the gap the content query below must report.
    await new Promise((r) => setTimeout(r, 3000));
    await push(media, url, { seconds: 8 }).done;
    files = await waitFor('the second recording', async () => { const l = await list(); return l.length === 2 && l; }, 20000);
  });

  after(async () => {
    client?.close();
    assert.equal(await sys?.stop(), 0);
  });

  it('content: two ranges with the gap between the recordings', async () => {
    const r = await call<pb.DescribeLiveStreamRecordContentResponse>('describeLiveStreamRecordContent', pb.DescribeLiveStreamRecordContentRequest, {
      ...S, startTime: iso(Date.parse(files[0].startTime) - 60_000), endTime: iso(Date.parse(files[1].endTime) + 60_000),
    });
    assert.equal(r.contentInfoList.length, 2);
    assert.ok(Math.abs(r.contentInfoList[0].duration - files[0].duration) < 0.5);
    assert.ok(Math.abs(r.contentInfoList[1].duration - files[1].duration) < 0.5);
    assert.ok(Date.parse(r.contentInfoList[1].startTime) - Date.parse(r.contentInfoList[0].endTime) >= 2000);
  });

  let clipId = '';
  let mergeId = '';

  it('clip inside one recording plays with the expected duration', async () => {
    const start = Date.parse(files[0].startTime);
    const r = await call<pb.CreateLiveStreamRecordIndexFilesResponse>('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, {
      ...S, ossObject: 'clips/live/clip/inside', startTime: iso(start + 2000), endTime: iso(start + 8000),
    });
    clipId = r.recordInfo!.recordId;
    assert.equal(r.recordInfo!.ossObject, 'clips/live/clip/inside.m3u8');
    assert.equal(r.discontinuityCount, 0);
    const d = duration('clips/live/clip/inside.m3u8');
    assert.ok(Math.abs(d - 6) <= 2, `clip of ${d} s for a 6 s range`);
    assert.deepEqual(ffprobe(join(sys.storageRoot, 'clips/live/clip/inside.m3u8')).streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const res = await fetch(`http://127.0.0.1:${sys.ports.http}/clips/live/clip/inside.m3u8`, { headers: { authorization: `Bearer ${sys.adminKey}` } });
    assert.equal(res.status, 200);
  });

  it('merge across both recordings marks the break', async () => {
    const r = await call<pb.CreateLiveStreamRecordIndexFilesResponse>('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, {
      ...S, ossObject: 'clips/live/clip/both.m3u8', startTime: files[0].startTime, endTime: files[1].endTime, endTimeIncluded: true,
    });
    mergeId = r.recordInfo!.recordId;
    assert.equal(r.discontinuityCount, 1);
    const text = readFileSync(join(sys.storageRoot, 'clips/live/clip/both.m3u8'), 'utf8');
    assert.equal(text.match(/#EXT-X-DISCONTINUITY/g)?.length, 1);
    const d = duration('clips/live/clip/both.m3u8');
    assert.ok(Math.abs(d - (files[0].duration + files[1].duration)) <= 2, `merge of ${d} s`);
    const listed = await call<pb.DescribeLiveStreamRecordIndexFileResponse>('describeLiveStreamRecordIndexFile', pb.DescribeLiveStreamRecordIndexFileRequest, { recordId: mergeId });
    assert.equal(listed.recordIndexInfo?.ossObject, 'clips/live/clip/both.m3u8');
  });

  it('refuses an unknown stream, a reversed range and a range shorter than a segment', async () => {
    const start = Date.parse(files[0].startTime);
    const unknown = await err(call('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, { ...S, streamName: 'never', ossObject: 'x', startTime: iso(start), endTime: iso(start + 10_000) }));
    assert.equal(unknown?.code, status.NOT_FOUND);
    const reversed = await err(call('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, { ...S, ossObject: 'x', startTime: iso(start + 10_000), endTime: iso(start) }));
    assert.equal(reversed?.code, status.INVALID_ARGUMENT);
    assert.match(reversed?.details ?? '', /^end_time/);
    const short = await err(call('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, { ...S, ossObject: 'x', startTime: iso(start + 2100), endTime: iso(start + 2600) }));
    assert.equal(short?.code, status.INVALID_ARGUMENT);
    const escape = await err(call('createLiveStreamRecordIndexFiles', pb.CreateLiveStreamRecordIndexFilesRequest, { ...S, ossObject: '../../etc/x', startTime: iso(start), endTime: iso(start + 8000) }));
    assert.equal(escape?.code, status.INVALID_ARGUMENT);
    assert.match(escape?.details ?? '', /^oss_object/);
  });

  it('delete: without removal keeps objects; with removal deletes files and the segments nothing else uses', async () => {
    const del = (ids: string[], removeFile: boolean) => call<pb.DeleteLiveStreamRecordIndexFilesResponse>('deleteLiveStreamRecordIndexFiles', pb.DeleteLiveStreamRecordIndexFilesRequest, { ...S, recordId: ids, removeFile });
    const r1 = await del([clipId, 'no-such-id'], false);
    assert.deepEqual(r1.recordDeleteInfoList, [{ recordId: clipId, message: 'OK' }, { recordId: 'no-such-id', message: 'NOT_FOUND' }]);
    assert.ok(existsSync(join(sys.storageRoot, 'clips/live/clip/inside.m3u8')), 'the object stays');

    const firstPlaylist = readFileSync(join(sys.storageRoot, files[0].ossObject), 'utf8');
    const firstSegments = firstPlaylist.split('\n').filter((l) => l.endsWith('.ts')).map((l) => join(sys.storageRoot, 'record/live/clip', l));
    const r2 = await del([files[0].recordId], true);
    assert.equal(r2.recordDeleteInfoList[0].message, 'OK');
    assert.equal(existsSync(join(sys.storageRoot, files[0].ossObject)), false, 'the file is gone');
    for (const s of firstSegments) assert.ok(existsSync(s), 'segments the merge uses stay');

    const r3 = await del([mergeId], true);
    assert.ok(r3.deletedObjects >= 1 + firstSegments.length);
    for (const s of firstSegments) assert.equal(existsSync(s), false, 'segments no record uses are gone');
    const secondPlaylist = readFileSync(join(sys.storageRoot, files[1].ossObject), 'utf8');
    for (const l of secondPlaylist.split('\n').filter((x) => x.endsWith('.ts'))) assert.ok(existsSync(join(sys.storageRoot, 'record/live/clip', l)), 'the second recording is intact');
    assert.ok(Math.abs(duration(files[1].ossObject) - files[1].duration) < 1);
  });
});
