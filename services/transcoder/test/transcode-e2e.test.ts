// End to end: a template recording the source and one rendition, a real push,
// ffmpeg transcoding through the media plane, files checked with ffprobe (size and
// bitrate), the master playlist played by hls.js in headless Chromium; renditions
// started and stopped by a manual-trigger recording's start and stop commands, and
// stopped when their transcoding template is deleted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { chromium } from 'playwright-core';
import { streamToken, type StreamRef, type TranscodeStateChanged } from '../../../libs/bus/index.js';
import {
  AddCustomLiveStreamTranscodeRequest, AddLiveAppRecordConfigRequest, DeleteLiveStreamTranscodeRequest, DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamRecordStatusRequest,
  DescribeLiveStreamTranscodeInfoRequest, RealTimeRecordCommandRequest,
  type DescribeLiveStreamRecordIndexFilesResponse, type DescribeLiveStreamRecordStatusResponse, type DescribeLiveStreamTranscodeInfoResponse, type LiveRecordServiceClient,
  type RealTimeRecordCommandResponse,
} from '../../../libs/proto/index.js';
import { REPO_ROOT, eventsOn, ffprobe, grpcClient, makeTestMedia, push, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const PUSH_SECONDS = 12;
const template = { domainName: 'localhost', appName: 'live', template: 'sd', templateType: 'h264', width: 320, height: 180, fps: 25, gop: 25, videoBitrate: 300, audioBitrate: 64 };
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const live = (stream: string): StreamRef => ({ domain: 'localhost', app: 'live', stream });

function keysIn(root: string, dir: string): string[] {
  const abs = join(root, dir);
  return existsSync(abs) ? readdirSync(abs).map((f) => `${dir}/${f}`) : [];
}

/** Live-transcode ffmpeg processes the system runs (its direct children; other ffmpeg jobs, thumbnails or remuxes, do not count). */
function ffmpegChildren(pid: number): string[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /\bffmpeg\b.*-c:v libx264.*-f flv/.test(l));
}

/**
 * Video bitrate of a file in kbit/s: the video packets' bytes over their time span. The test
 * source (testsrc2: moving, detailed) has enough in it for x264's rate control to reach the
 * target; a flat picture would come out far under it.
 */
function videoKbps(file: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time,size', '-of', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe ${file} failed: ${r.stderr}`);
  const packets = (JSON.parse(r.stdout) as { packets: { pts_time: string; duration_time?: string; size: string }[] }).packets;
  const pts = packets.map((p) => Number(p.pts_time));
  const seconds = Math.max(...pts) - Math.min(...pts) + Number(packets.at(-1)?.duration_time ?? 0.04);
  return packets.reduce((sum, p) => sum + Number(p.size), 0) * 8 / seconds / 1000;
}

/** The keys in lr_transcode_demand: the renditions some recording needs now. */
async function demandKeys(natsUrl: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(jetstream(nc)).open('lr_transcode_demand');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    return keys;
  } finally {
    await nc.close();
  }
}

describe('e2e - live transcoding: a source and a 320x180 rendition recorded, with a master playlist', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  const call = <Res>(method: string, req: object) => unary<object, Res>(client, method, req);
  const transcodeEvents = async (rendition: string) => (await eventsOn<TranscodeStateChanged>(sys.natsUrl, 'lr.evt.transcode.state')).filter((e) => e.rendition.stream === rendition);
  const eventOf = (rendition: string, state: TranscodeStateChanged['state'], timeoutMs = 30000) =>
    waitFor(`${rendition} ${state}`, async () => (await transcodeEvents(rendition)).find((e) => e.state === state), timeoutMs);
  const demandedFor = async (stream: string) => (await demandKeys(sys.natsUrl)).filter((k) => k.startsWith(`${streamToken(live(stream))}.`));
  const decisionOf = (stream: string) => waitFor(`the decision for ${stream}`, async () => (await call<DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus',
    DescribeLiveStreamRecordStatusRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: stream }))).lastDecision, 15000);
  const files = (dir: string, ext: string) => keysIn(sys.storageRoot, dir).filter((k) => k.endsWith(ext));
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

  it('records the rendition under transcodeRecord naming at the template size, with a master playlist over both', async (t) => {
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'demo', delayTime: 2,
      recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
      transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8', sliceDuration: 2 }, { format: 'flv' }],
    }));
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no transcoding before a push');
    // Alongside, a stream the catch-all template records without renditions.
    const plain = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/plain`);
    const pusher = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/demo`);
    const started = await eventOf('demo_sd', 'started');
    assert.deepEqual(started.rendition, { domain: 'localhost', app: 'live', stream: 'demo_sd' });
    assert.equal(started.reason, 'source_published');
    // The plain stream's decision is taken after its renditions would have been asked for: none were, and only demo's ffmpeg runs.
    const plainDecision = await decisionOf('plain');
    assert.equal(plainDecision.reason, 'recording');
    assert.deepEqual(await demandedFor('plain'), [], 'no rendition is asked for a recording that names none');
    assert.equal(ffmpegChildren(sys.process.pid!).length, 1, 'one ffmpeg process transcodes: demo\'s rendition, none for plain');
    assert.equal(await pusher.done, 0, 'the push completes');
    assert.equal(await plain.done, 0);

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
    const kbps = videoKbps(join(sys.storageRoot, flv));
    t.diagnostic(`rendition video bitrate ${kbps.toFixed(1)} kbit/s (template ${template.videoBitrate})`);
    assert.ok(Math.abs(kbps - template.videoBitrate) <= template.videoBitrate * 0.2, `the rendition's video bitrate ${kbps.toFixed(0)} kbit/s is within 20 % of the template's ${template.videoBitrate}`);

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
    const stopped = await eventOf('demo_sd', 'stopped');
    assert.equal(stopped.reason, 'source_ended');
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no ffmpeg process is left');
    assert.deepEqual(await transcodeEvents('plain_sd'), [], 'nothing was transcoded of plain');
  });

  it('the master playlist plays in hls.js (headless Chromium) with two levels', async (t) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (scripts/bootstrap.mjs --test installs Debian's chromium)`);
    const list = await call<DescribeLiveStreamRecordIndexFilesResponse>('describeLiveStreamRecordIndexFiles', DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'demo', startTime: startedAt, endTime: new Date(Date.now() + 60_000).toISOString(),
    }));
    const master = list.recordIndexInfoList.find((f) => f.recordUrl.includes('_master.m3u8'));
    assert.ok(master, 'the master playlist is catalogued');
    // Played from the api's own origin with the signed record_url's query, as the console plays files.
    const base = `http://127.0.0.1:${sys.ports.http}`;
    const signed = new URL(master.recordUrl);
    const masterUrl = `${base}${signed.pathname}${signed.search}`;
    const browser = await chromium.launchPersistentContext(tempDir('chromium'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      // A tiny page with the hls.js the console bundles, served on the api's origin by the browser itself.
      await page.route(`${base}/__hls-test/**`, (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path.endsWith('/hls.min.js')) return route.fulfill({ path: join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js'), contentType: 'text/javascript' });
        return route.fulfill({ contentType: 'text/html', body: `<!doctype html><video muted playsinline></video><script src="hls.min.js"></script><script>
          const video = document.querySelector('video');
          const hls = new Hls();
          window.state = { levels: [], fragLevels: [], error: null };
          hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => { window.state.levels = d.levels.map((l) => [l.width, l.height]); video.play(); });
          hls.on(Hls.Events.FRAG_BUFFERED, (_e, d) => { window.state.fragLevels.push(d.frag.level); });
          hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.state.error = d.type + ': ' + d.details; });
          hls.loadSource(${JSON.stringify(masterUrl)});
          hls.attachMedia(video);
          window.hls = hls;
        </script>` });
      });
      await page.goto(`${base}/__hls-test/index.html`);
      type State = { levels: number[][]; fragLevels: number[]; error: string | null };
      const playing = (minTime: number, level?: number) => page.waitForFunction(([t, l]) => {
        const s = (window as unknown as { state: State }).state;
        const v = document.querySelector('video')!;
        return s.error ?? (v.currentTime > t && (l === null || s.fragLevels.includes(l)) ? 'ok' : false);
      }, [minTime, level ?? null] as const, { timeout: 30000 }).then((h) => h.jsonValue());
      assert.equal(await playing(1), 'ok', 'the video plays');
      const state = await page.evaluate(() => (window as unknown as { state: State }).state);
      assert.deepEqual(state.levels.map((l) => l.join('x')).sort(), ['320x180', '640x360'], 'two levels: the source and the rendition');
      // Both variants play: switch to the level not played yet and see its fragments buffered while time goes on.
      const other = state.levels.findIndex((_l, i) => !state.fragLevels.includes(i));
      t.diagnostic(`levels ${JSON.stringify(state.levels)}, played first: ${[...new Set(state.fragLevels)].join(',')}, switched to: ${other}`);
      if (other >= 0) {
        const at = await page.evaluate((l) => {
          (window as unknown as { hls: { currentLevel: number } }).hls.currentLevel = l;
          return document.querySelector('video')!.currentTime;
        }, other);
        assert.equal(await playing(at + 1, other), 'ok', `level ${other} plays too`);
      }
    } finally {
      await browser.close();
    }
  });

  it('a manual-trigger recording starts its renditions with the start command and stops them with the stop command', async (t) => {
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'manual', onDemand: 7, delayTime: 2,
      recordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
      transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8', sliceDuration: 2 }],
    }));
    const command = (cmd: string) => call<RealTimeRecordCommandResponse>('realTimeRecordCommand', RealTimeRecordCommandRequest.fromPartial({ domainName: 'localhost', appName: 'live', streamName: 'manual', command: cmd }));
    let pushEnded = false;
    const pusher = push(makeTestMedia('h264-aac', 30), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/manual`);
    void pusher.done.then(() => { pushEnded = true; });
    assert.equal((await decisionOf('manual')).reason, 'manual_wait');
    // Renditions would have been asked for before the decision was taken: none were.
    assert.deepEqual(await demandedFor('manual'), [], 'no rendition before the start command');
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no transcoding before the start command');

    const startedAt = Date.now();
    assert.equal((await command('start')).state, 'recording');
    const started = await eventOf('manual_sd', 'started');
    assert.equal(started.reason, 'recording_started');
    assert.equal(ffmpegChildren(sys.process.pid!).length, 1, 'the rendition is transcoded once started');
    const dir = 'transcodeRecord/live/manual_sd';
    await waitFor('two rendition segments', () => files(dir, '.ts').length >= 2, 30000);

    await command('stop');
    const stoppedAt = Date.now();
    const stopped = await eventOf('manual_sd', 'stopped');
    assert.equal(stopped.reason, 'demand_withdrawn');
    assert.equal(pushEnded, false, 'the source is still live');
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no transcoding after the stop command');
    assert.deepEqual(await demandedFor('manual'), []);

    // The rendition's recording covers the start..stop span, like the source's (not the session from its publish).
    const source = await waitFor('the source recording', () => files('record/live/manual', '.m3u8')[0], 30000);
    const rendition = await waitFor('the rendition recording', () => files(dir, '.m3u8')[0], 30000);
    const span = (stoppedAt - startedAt) / 1000;
    const [ds, dr] = [source, rendition].map((k) => Number(ffprobe(join(sys.storageRoot, k)).format.duration));
    t.diagnostic(`source recording ${ds} s, rendition ${dr} s, start..stop ${span} s`);
    assert.ok(Math.abs(dr - ds) <= 2.5, `the rendition (${dr} s) lasts about the source's recording (${ds} s)`);
    assert.ok(dr <= span + 2, `the rendition (${dr} s) lasts no longer than start..stop (${span} s)`);

    // A start again makes the renditions again; the publisher leaving ends them.
    assert.equal((await command('start')).state, 'recording');
    const again = await waitFor('the rendition started again', async () => (await transcodeEvents('manual_sd')).filter((e) => e.state === 'started')[1], 30000);
    assert.equal(again.reason, 'recording_started');
    assert.equal(pushEnded, false, 'the source is still live');
    pusher.kill();
    await pusher.done;
    const ended = await waitFor('the rendition stopped again', async () => (await transcodeEvents('manual_sd')).filter((e) => e.state === 'stopped')[1], 60000);
    assert.equal(ended.reason, 'source_ended');
  });

  it('deleting a transcoding template stops the renditions made with it', async () => {
    await call('addCustomLiveStreamTranscode', AddCustomLiveStreamTranscodeRequest.fromPartial({ ...template, template: 'tiny', width: 160, height: 90, videoBitrate: 150 }));
    // Renditions only: the source itself is not recorded.
    await call('addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'deltest', delayTime: 2,
      transcodeTemplates: ['tiny'], transcodeRecordFormat: [{ format: 'flv' }],
    }));
    let pushEnded = false;
    const pusher = push(makeTestMedia('h264-aac', 30), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/deltest`);
    void pusher.done.then(() => { pushEnded = true; });
    await eventOf('deltest_tiny', 'started');
    assert.equal(ffmpegChildren(sys.process.pid!).length, 1);

    await call('deleteLiveStreamTranscode', DeleteLiveStreamTranscodeRequest.fromPartial({ domainName: 'localhost', appName: 'live', template: 'tiny' }));
    const stopped = await eventOf('deltest_tiny', 'stopped');
    assert.equal(stopped.reason, 'template_deleted');
    assert.equal(pushEnded, false, 'the source is still live');
    assert.deepEqual(ffmpegChildren(sys.process.pid!), [], 'no transcoding once the template is gone');
    assert.deepEqual(await demandedFor('deltest'), [], 'the demand is withdrawn, so no transcoder makes it again');
    // What was made is recorded: the rendition's recording ends after its reconnect window.
    const flv = await waitFor('the rendition flv', () => files('transcodeRecord/live/deltest_tiny', '.flv')[0], 30000);
    assert.deepEqual(ffprobe(join(sys.storageRoot, flv)).streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    pusher.kill();
    await pusher.done;
  });
});
