// End to end: thumbnails of live streams that are not recorded. With no catch-all template, a push
// to an app with a snapshot configuration and no recording template, and one to an app whose
// manual template is never started, both get "latest" and sequence JPEGs at the interval; the
// unmatched stream keeps only its keyframes on the media plane, and nothing is recorded. A manual
// start hands the thumbnails to the recording and a stop hands them back; a recorded stream stopped
// by command goes on getting them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { MatchDecision } from '../../../libs/bus/index.js';
import { MEDIA_HEADERS, TAG_VIDEO, decodeBatch, parseVideoTag } from '../../../libs/media/index.js';
import {
  AddLiveAppRecordConfigRequest, AddLiveAppSnapshotConfigRequest, DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamRecordStatusRequest,
  DescribeLiveStreamSnapshotInfoRequest, RealTimeRecordCommandRequest,
  type DescribeLiveStreamRecordIndexFilesResponse, type DescribeLiveStreamRecordStatusResponse, type DescribeLiveStreamSnapshotInfoResponse, type LiveRecordServiceClient,
} from '../../../libs/proto/index.js';
import { eventsOn, ffprobe, grpcClient, push, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const PUSH_SECONDS = 16;
const INTERVAL = 2;

function makeHdMedia(seconds: number): string {
  const file = join(tempDir('unrec-media'), 'hd.flv');
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-f', 'flv', file,
  ]);
  if (r.status !== 0) throw new Error(`could not make test media: ${r.stderr}`);
  return file;
}

/** The media-plane messages of a stream's subject, with their headers and decoded packets. */
async function mediaMessages(natsUrl: string, app: string, stream: string) {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const subject = `lr.media.${Buffer.from(`localhost/${app}/${stream}`).toString('base64url')}`;
    const info = await jsm.streams.info('LR_MEDIA');
    const out: { entry: boolean; end: boolean; packets: ReturnType<typeof decodeBatch> }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('LR_MEDIA', { seq }).catch((err: Error) => {
        // Messages of other streams expire or are purged while the loop runs: a gap, not a failure.
        if (/no message found/i.test(err.message)) return null;
        throw err;
      });
      if (!m || m.subject !== subject) continue;
      const end = m.header?.has(MEDIA_HEADERS.end) === true;
      out.push({ entry: m.header?.has(MEDIA_HEADERS.entry) === true, end, packets: end ? [] : decodeBatch(m.data) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe('e2e - thumbnails of streams that are not recorded', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  const call = <Res>(method: string, req: object) => unary<object, Res>(client, method, req);
  const range = (app: string, stream: string) => ({ domainName: 'localhost', appName: app, streamName: stream, startTime: startedAt, endTime: new Date(Date.now() + 120_000).toISOString() });
  const snapshots = async (app: string, stream: string) => (await call<DescribeLiveStreamSnapshotInfoResponse>('describeLiveStreamSnapshotInfo',
    DescribeLiveStreamSnapshotInfoRequest.fromPartial({ ...range(app, stream), limit: 100 }))).liveStreamSnapshotInfoList;

  before(async () => {
    // No catch-all template: only what the test configures applies.
    sys = await startSystem({ LR_DEFAULT_TEMPLATE: 'false' });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    const code = await sys?.stop();
    assert.equal(code, 0, `the system exits cleanly on SIGTERM\n${sys?.logs().slice(-2000)}`);
  });

  it('snapshots a stream no template records, and one whose manual template is not started, at the interval', async () => {
    for (const app of ['snap', 'manual']) {
      await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
        domainName: 'localhost', appName: app, timeInterval: INTERVAL, resolution: '360p',
        overwriteOssObject: '{AppName}/{StreamName}.jpg', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{Sequence}.jpg',
      }));
    }
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'manual', streamName: '*', onDemand: 7, delayTime: 15, recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
    }));
    const media = makeHdMedia(PUSH_SECONDS);
    const unmatched = push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/snap/cam`);
    const waiting = push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/manual/cam`);

    // While they are live: neither records, and the "latest" object of each appears.
    const decisions = await waitFor('both decisions', async () => {
      const all = await eventsOn<MatchDecision>(sys.natsUrl, 'lr.evt.match.decision');
      const of = (app: string) => all.find((d) => d.stream.app === app);
      return of('snap') && of('manual') ? { snap: of('snap')!, manual: of('manual')! } : null;
    }, 20000);
    assert.equal(decisions.snap.record, false);
    assert.equal(decisions.snap.reason, 'no_template');
    assert.equal(decisions.manual.record, false);
    assert.notEqual(decisions.manual.plan, null, 'the manual stream has an actor, waiting for a start');
    for (const app of ['snap', 'manual']) {
      await waitFor(`the latest object of ${app}/cam while it is live`, () => existsSync(join(sys.storageRoot, `${app}/cam.jpg`)), 20000, 100);
    }
    await waitFor('two media-plane readers counted', async () =>
      /^liverecord_thumbnail_live_readers\S* 2$/m.test(await (await fetch(`http://127.0.0.1:${sys.ports.http}/metrics`)).text()), 10000);
    const status = await call<DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus', DescribeLiveStreamRecordStatusRequest.fromPartial({ domainName: 'localhost', appName: 'manual', streamName: 'cam' }));
    assert.equal(status.hasActor, true);
    assert.equal(await unmatched.done, 0, 'the push to snap completes');
    assert.equal(await waiting.done, 0, 'the push to manual completes');

    for (const app of ['snap', 'manual']) {
      // One sequence thumbnail per interval of the session (its first keyframe at 0 s): {Sequence} 0, 1, 2, ...
      const expected = Math.floor(PUSH_SECONDS / INTERVAL);
      const listed = await waitFor(`the thumbnails of ${app}/cam catalogued`, async () => {
        const seq = (await snapshots(app, 'cam')).filter((t) => !t.isOverwrite);
        return seq.length >= expected - 1 ? seq : null;
      }, 30000);
      const names = listed.map((t) => Number(t.ossObject.split('/').pop()!.replace('.jpg', '')));
      assert.deepEqual(names, [...names].sort((a, b) => a - b));
      assert.ok(names.length >= expected - 1 && names.length <= expected, `${app}: about one per ${INTERVAL} s, got ${names.join(',')}`);
      assert.equal(names[0], 0);
      for (let i = 1; i < names.length; i++) assert.equal(names[i], names[i - 1] + 1, `${app}: one per interval, none skipped: ${names.join(',')}`);
      const times = listed.map((t) => Date.parse(t.createTime));
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 1000 && times[i] - times[i - 1] <= 3500, `${app}: about ${INTERVAL} s apart: ${times.join(',')}`);
      for (const t of listed) {
        assert.deepEqual([t.width, t.height], [640, 360]);
        const file = join(sys.storageRoot, t.ossObject);
        assert.ok(existsSync(file), t.ossObject);
        const v = ffprobe(file).streams[0];
        assert.deepEqual([v.codec_name, v.width, v.height], ['mjpeg', 640, 360], t.ossObject);
      }
      assert.equal(readdirSync(join(sys.storageRoot, `snapshot/${app}/cam`)).length, listed.length, 'every stored thumbnail is catalogued');
      const latest = (await snapshots(app, 'cam')).filter((t) => t.isOverwrite);
      assert.equal(latest.length, 1);
      assert.equal(latest[0].ossObject, `${app}/cam.jpg`);
      assert.equal(Date.parse(latest[0].createTime), times[times.length - 1], 'the latest object holds the last frame');
      // Nothing was recorded.
      const files = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial(range(app, 'cam')));
      assert.equal(files.totalNum, 0, `${app}/cam is not recorded`);
    }
    assert.equal(existsSync(join(sys.storageRoot, 'record')), false, 'no recording was stored');

    // The unmatched stream kept only its keyframes on the media plane once decided: batches of one keyframe each.
    const messages = await mediaMessages(sys.natsUrl, 'snap', 'cam');
    assert.ok(messages.at(-1)?.end, 'the session\'s end marker');
    const keyframesOnly = (m: (typeof messages)[number]) => {
      const media = m.packets.filter((p) => !p.repeated);
      return m.entry && media.length === 1 && media[0].type === TAG_VIDEO && parseVideoTag(media[0].data).isKey;
    };
    const tail = messages.slice(0, -1);
    const firstKeyOnly = tail.findIndex(keyframesOnly);
    assert.ok(firstKeyOnly >= 0 && firstKeyOnly < 6, `keyframes only soon after the decision (from message ${firstKeyOnly} of ${tail.length})`);
    assert.ok(tail.slice(firstKeyOnly).every(keyframesOnly), 'after the decision, nothing but keyframes');
    assert.ok(tail.length - firstKeyOnly >= PUSH_SECONDS - 4, `one message per GOP (1 s): ${tail.length - firstKeyOnly}`);
  });

  it('a manual start hands the thumbnails over to the recording, and a stop hands them back', async () => {
    // Named by time: {Sequence} counts from the session's or the recording's start, so their names would repeat.
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'handover', timeInterval: INTERVAL, resolution: '360p', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg',
    }));
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'handover', streamName: '*', onDemand: 7, delayTime: 15, recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
    }));
    const media = makeHdMedia(30);
    const pusher = push(media, `rtmp://127.0.0.1:${sys.ports.rtmp}/handover/cam`);
    const byWhom = async () => (await snapshots('handover', 'cam')).filter((t) => !t.isOverwrite).map((t) => ({ at: Date.parse(t.createTime), live: t.recordingId.startsWith('live-'), id: t.recordingId }));
    await waitFor('thumbnails before the start', async () => (await byWhom()).filter((t) => t.live).length >= 2, 20000);
    const command = (c: string) => call('realTimeRecordCommand', RealTimeRecordCommandRequest.fromPartial({ domainName: 'localhost', appName: 'handover', streamName: 'cam', command: c }));
    await command('start');
    await waitFor('thumbnails of the recording', async () => (await byWhom()).filter((t) => !t.live).length >= 3, 20000);
    await command('stop');
    const startedAgain = (await byWhom()).length;
    await waitFor('thumbnails after the stop', async () => {
      const all = await byWhom();
      return all.length >= startedAgain + 2 && all.at(-1)!.live && all.at(-2)!.live;
    }, 20000);
    assert.equal(await pusher.done, 0, 'the push completes');
    const all = await byWhom();
    // In time order: the reader's, the recording's, the reader's again; a switch may repeat one interval.
    const runs: { live: boolean; n: number; first: number; last: number }[] = [];
    for (const t of all) {
      const r = runs.at(-1);
      if (r && r.live === t.live) {
        r.n++;
        r.last = t.at;
      } else runs.push({ live: t.live, n: 1, first: t.at, last: t.at });
    }
    assert.deepEqual(runs.map((r) => r.live), [true, false, true], `who took them: ${JSON.stringify(all)}`);
    assert.ok(runs[1].n >= 3);
    for (let i = 1; i < runs.length; i++) {
      const gap = runs[i].first - runs[i - 1].last;
      assert.ok(gap > 0 && gap <= 2 * INTERVAL * 1000 + 1000, `the switch neither overlaps nor leaves a hole: ${gap} ms`);
    }
    const recordings = new Set(all.filter((t) => !t.live).map((t) => t.id));
    assert.equal(recordings.size, 1, 'one recording');
  });

  it('a recorded stream whose recording is stopped by command goes on getting thumbnails', async () => {
    await call('addLiveAppSnapshotConfig', AddLiveAppSnapshotConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'stopped', timeInterval: INTERVAL, resolution: '360p', sequenceOssObject: 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg',
    }));
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'stopped', streamName: '*', onDemand: 0, delayTime: 15, recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
    }));
    const pusher = push(makeHdMedia(24), `rtmp://127.0.0.1:${sys.ports.rtmp}/stopped/cam`);
    const byWhom = async () => (await snapshots('stopped', 'cam')).map((t) => ({ at: Date.parse(t.createTime), live: t.recordingId.startsWith('live-') }));
    await waitFor('thumbnails of the recording', async () => (await byWhom()).length >= 3, 20000);
    await call('realTimeRecordCommand', RealTimeRecordCommandRequest.fromPartial({ domainName: 'localhost', appName: 'stopped', streamName: 'cam', command: 'stop' }));
    await waitFor('thumbnails after the stop', async () => (await byWhom()).filter((t) => t.live).length >= 3, 20000);
    assert.equal(await pusher.done, 0, 'the push completes');
    const all = await byWhom();
    const firstLive = all.findIndex((t) => t.live);
    assert.ok(firstLive >= 3 && all.slice(firstLive).every((t) => t.live), `the recording's, then the reader's: ${JSON.stringify(all)}`);
    const gap = all[firstLive].at - all[firstLive - 1].at;
    assert.ok(gap > 0 && gap <= 2 * INTERVAL * 1000 + 1000, `the switch neither overlaps nor leaves a hole: ${gap} ms`);
  });
});
