// The stream actor's lifecycle against the real system: formats, cycles, reconnect windows, commands.
import assert from 'node:assert/strict';
import { existsSync, openSync, readFileSync, readSync, readdirSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pb from '../../../libs/proto/index.js';
import { ffprobe, grpcClient, makeTestMedia, push, startSystem, unary, videoPacketHashes, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const DOMAIN = 'localhost';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lifecycle - formats, cycles, reconnect windows and commands', () => {
  let sys: RunningSystem;
  let client: pb.LiveRecordServiceClient;
  const media = makeTestMedia('h264-aac', 40);
  const rtmp = (stream: string) => `rtmp://127.0.0.1:${sys.ports.rtmp}/live/${stream}`;
  const call = <Res>(method: string, msg: { fromPartial(o: object): object }, req: object) => unary<object, Res>(client, method, msg.fromPartial(req));
  const template = (stream: string, delayTime: number, formats: object[]) => call('addLiveAppRecordConfig', pb.AddLiveAppRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: stream, delayTime, recordFormat: formats });
  const command = (stream: string, cmd: string) => call<pb.RealTimeRecordCommandResponse>('realTimeRecordCommand', pb.RealTimeRecordCommandRequest, { domainName: DOMAIN, appName: 'live', streamName: stream, command: cmd });
  const stateOf = async (stream: string) => (await call<pb.DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus', pb.DescribeLiveStreamRecordStatusRequest, { domainName: DOMAIN, appName: 'live', streamName: stream }).catch(() => null))?.state;
  const files = (stream: string, ext: string) => {
    const dir = join(sys.storageRoot, 'record/live', stream);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : [];
  };
  const duration = (f: string) => Number(ffprobe(f).format.duration);
  const scenarios: Record<string, Promise<void>> = {};

  before(async () => {
    sys = await startSystem({ LR_DEFAULT_TEMPLATE: '0' });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    const m3u8 = { format: 'm3u8', sliceDuration: 2, cycleDuration: 3600 };
    await template('multi', 60, [m3u8, { format: 'flv', cycleDuration: 3600 }, { format: 'mp4', cycleDuration: 3600 }]);
    await template('cycled', 1, [{ format: 'm3u8', sliceDuration: 2, cycleDuration: 6 }, { format: 'mp4', cycleDuration: 10 }]);
    await template('rejoin', 60, [m3u8, { format: 'flv', cycleDuration: 3600 }]);
    await template('expire', 4, [m3u8]);
    await template('cancel', 60, [m3u8]);
    await template('restart', 1, [m3u8]);
    await template('cmaf', 1, [{ format: 'cmaf', sliceDuration: 2, cycleDuration: 3600 }, { format: 'mp4', cycleDuration: 3600 }]);

    // All scenarios run at once: each pushes in real time.
    scenarios.multi = (async () => {
      await push(media, rtmp('multi'), { seconds: 12 }).done;
      await waitFor('multi in its window', async () => (await stateOf('multi')) === 'reconnect_wait', 10000);
      await command('multi', 'cancel_delay');
    })();
    scenarios.cycled = push(media, rtmp('cycled'), { seconds: 22 }).done.then(() => undefined);
    scenarios.rejoin = (async () => {
      await push(media, rtmp('rejoin'), { seconds: 10 }).done;
      await waitFor('rejoin in its window', async () => (await stateOf('rejoin')) === 'reconnect_wait', 10000);
      // The scenario itself: the publisher stays away 25 s of the 60 s window.
      await sleep(25000);
      await push(media, rtmp('rejoin'), { seconds: 10 }).done;
      await waitFor('rejoin in its window again', async () => (await stateOf('rejoin')) === 'reconnect_wait', 10000);
      await command('rejoin', 'cancel_delay');
    })();
    scenarios.expire = (async () => {
      await push(media, rtmp('expire'), { seconds: 6 }).done;
      // The 4 s window expires and the first file is made; only then does the publisher come back.
      await waitFor('the first expire file', () => files('expire', '.m3u8').length === 1, 20000);
      await push(media, rtmp('expire'), { seconds: 6 }).done;
    })();
    scenarios.cancel = push(media, rtmp('cancel'), { seconds: 6 }).done.then(() => undefined);
    scenarios.restart = (async () => {
      const p = push(media, rtmp('restart'), { seconds: 16 });
      await waitFor('restart recording', async () => (await stateOf('restart')) === 'recording', 10000);
      await waitFor('a few restart segments stored', () => files('restart', '.ts').length >= 3, 20000);
      await command('restart', 'restart');
      await p.done;
    })();
    scenarios.cmaf = push(media, rtmp('cmaf'), { seconds: 8 }).done.then(() => undefined);
  });

  after(async () => {
    client?.close();
    assert.equal(await sys?.stop(), 0);
  });

  it('m3u8, flv and mp4 together: one playable file each, of the pushed duration', async () => {
    await scenarios.multi;
    for (const ext of ['.m3u8', '.flv', '.mp4']) {
      const [f] = await waitFor(`multi ${ext}`, () => files('multi', ext).length === 1 && files('multi', ext), 20000);
      assert.deepEqual(ffprobe(f).streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], f);
      assert.ok(Math.abs(duration(f) - 12) <= 2, `${ext}: ${duration(f)} s within one segment of 12 s`);
    }
    // mp4 has its index at the front so it plays while downloading.
    const mp4 = files('multi', '.mp4')[0];
    const head = Buffer.alloc(64 * 1024);
    const fd = openSync(mp4, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const moov = head.indexOf('moov');
    const mdat = head.indexOf('mdat');
    assert.ok(moov > 0 && (mdat < 0 || moov < mdat), 'moov before mdat');
  });

  it('cycles: no file is longer than its format\'s cycle; durations add up to the push', async () => {
    await scenarios.cycled;
    await waitFor('cycled files', () => files('cycled', '.mp4').length >= 2 && files('cycled', '.m3u8').length >= 3, 20000);
    await waitFor('the cycled recording over', async () => !(await stateOf('cycled')), 20000);
    // Its last files are made after the recording ends: wait until both formats hold the whole push.
    const total = (ext: string) => files('cycled', ext).map(duration).reduce((a, b) => a + b, 0);
    await waitFor('its last files stored', () => total('.m3u8') >= 20 && total('.mp4') >= 20, 20000, 500);
    for (const [ext, cycle] of [['.m3u8', 6], ['.mp4', 10]] as const) {
      const list = files('cycled', ext);
      const ds = list.map(duration);
      for (const d of ds) assert.ok(d <= cycle + 0.5, `${ext} file of ${d} s exceeds its ${cycle} s cycle`);
      const total = ds.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 22) <= 2 * list.length, `${ext}: ${list.length} files adding up to ${total} s for a 22 s push`);
    }
  });

  it('a 25 s drop inside a 60 s window continues the same files with one discontinuity', async () => {
    await scenarios.rejoin;
    const [m3u8] = await waitFor('rejoin m3u8', () => files('rejoin', '.m3u8').length === 1 && files('rejoin', '.m3u8'), 20000);
    const text = readFileSync(m3u8, 'utf8');
    assert.equal(text.match(/#EXT-X-DISCONTINUITY/g)?.length, 1, text);
    assert.ok(Math.abs(duration(m3u8) - 20) <= 4, `m3u8 holds both pushes: ${duration(m3u8)} s`);
    const [flv] = await waitFor('rejoin flv', () => files('rejoin', '.flv').length === 1 && files('rejoin', '.flv'), 20000);
    assert.ok(Math.abs(duration(flv) - 20) <= 4, `flv holds both pushes with continuous timestamps: ${duration(flv)} s`);
  });

  it('a drop past the window gives two files', async () => {
    await scenarios.expire;
    await waitFor('two expire files', () => files('expire', '.m3u8').length === 2, 20000);
    for (const f of files('expire', '.m3u8')) assert.doesNotMatch(readFileSync(f, 'utf8'), /DISCONTINUITY/);
  });

  it('cancel_delay finalizes within 2 s', async () => {
    await scenarios.cancel;
    await waitFor('cancel in its window', async () => (await stateOf('cancel')) === 'reconnect_wait', 10000);
    assert.equal(files('cancel', '.m3u8').length, 0);
    const t0 = Date.now();
    const r = await command('cancel', 'cancel_delay');
    assert.ok(['ended', 'finalizing'].includes(r.state), r.state);
    await waitFor('the cancelled file', () => files('cancel', '.m3u8').length === 1, 2000, 50);
    assert.ok(Date.now() - t0 <= 2000);
  });

  it('restart: two consecutive files with no gap and no overlap of video packets', async () => {
    await scenarios.restart;
    const list = await waitFor('two restart files', () => files('restart', '.m3u8').length === 2 && files('restart', '.m3u8'), 20000);
    const src = videoPacketHashes(media);
    const first = videoPacketHashes(list[0]);
    const second = videoPacketHashes(list[1]);
    const joined = [...first, ...second];
    const offset = src.indexOf(joined[0]);
    assert.ok(offset >= 0);
    assert.deepEqual(joined, src.slice(offset, offset + joined.length), 'the second file starts with the packet after the first file ends');
    assert.ok(first.length > 0 && second.length > 0);
  });

  it('cmaf: fMP4 segments with an init segment, playable; mp4 joined from them', async () => {
    await scenarios.cmaf;
    const [pl] = await waitFor('cmaf playlist', () => files('cmaf', '.m3u8').length === 1 && files('cmaf', '.m3u8'), 20000);
    const text = readFileSync(pl, 'utf8');
    assert.match(text, /#EXT-X-MAP:URI="[^"]+_init\.mp4"/);
    assert.match(text, /\.m4s\n/);
    assert.doesNotMatch(text, /\.ts\n/);
    assert.deepEqual(ffprobe(pl).streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(Math.abs(duration(pl) - 8) <= 2, `${duration(pl)}`);
    const [mp4] = await waitFor('cmaf mp4', () => files('cmaf', '.mp4').filter((f) => !f.endsWith('_init.mp4')).length === 1 && files('cmaf', '.mp4').filter((f) => !f.endsWith('_init.mp4')), 20000);
    assert.ok(Math.abs(duration(mp4) - 8) <= 2, `mp4 ${duration(mp4)}`);
  });
});
