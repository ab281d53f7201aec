// A recording's spool thumbnails over several cycles, through the real worker (ffmpeg decodes),
// a real nats-server (the configuration watched from lr_snapshot_configs, track events) and
// local storage: a file's track is made without waiting for the next file's thumbnails, and the
// spool keeps only what a format's next file still needs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bucket, BUCKETS, type Bus, type FileMeta, type SnapshotConfig, type StorageTarget } from '../../../../libs/bus/index.js';
import { loadConfig } from '../../../../libs/config/index.js';
import { StorageRegistry } from '../../../../libs/storage/index.js';
import { componentLogger } from '../../../../libs/telemetry/index.js';
import { startNats, tempDir, waitFor, type TestNats } from '../../../../test-kit/index.js';
import { Thumbnails, type KeyframeSample } from './index.js';

/** One H.264 keyframe as FLV carries it: its avcC record and its length-prefixed NAL units. */
function keyframe(): { record: Buffer; frame: Buffer } {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-frames:v', '1', '-c:v', 'libx264', '-f', 'h264', 'pipe:1'], { maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  const annexB = r.stdout;
  const nals: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      if (start >= 0) nals.push(annexB.subarray(start, annexB[i - 1] === 0 ? i - 1 : i));
      start = i + 3;
      i += 2;
    }
  }
  nals.push(annexB.subarray(start));
  const type = (n: Buffer) => n[0] & 0x1f;
  const sps = nals.filter((n) => type(n) === 7);
  const pps = nals.filter((n) => type(n) === 8);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const record = Buffer.concat([Buffer.from([1, sps[0][1], sps[0][2], sps[0][3], 0xff, 0xe0 | sps.length]), ...sps.flatMap((n) => [u16(n.length), n]), Buffer.from([pps.length]), ...pps.flatMap((n) => [u16(n.length), n])]);
  const frame = Buffer.concat(nals.filter((n) => ![7, 8].includes(type(n))).flatMap((n) => [Buffer.from([0, 0, n.length >> 8, n.length & 0xff]), n]));
  return { record, frame };
}

const T0 = 1_790_000_000_000;
const CYCLE_MS = 10_000;
const stream = { domain: 'localhost', app: 'live', stream: 'spool' };
const local: StorageTarget = { kind: 'local', bucket: '', endpoint: '' };

describe('thumbnails - a recording\'s files and its spool', () => {
  let nats: TestNats;
  let bus: Bus;
  let thumbnails: Thumbnails;
  let spoolRoot: string;
  let storageRoot: string;
  const { record, frame } = keyframe();

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('thumb-spool-test');
    const config: SnapshotConfig = { domain: 'localhost', app: 'live', intervalSeconds: 1, resolution: '360p', storage: local, overwriteObject: '', sequenceObject: 'snap/{StreamName}/{Sequence}.jpg', createdMs: 0 };
    await (await bucket(bus, BUCKETS.snapshotConfigs)).put(Buffer.from('localhost/live').toString('base64url'), JSON.stringify(config));
    const dataDir = tempDir('thumb-spool');
    storageRoot = join(dataDir, 'storage');
    spoolRoot = join(dataDir, 'spool');
    thumbnails = new Thumbnails(bus, new StorageRegistry(loadConfig({ LR_DATA_DIR: dataDir, LR_STORAGE_ROOT: storageRoot })), (id) => join(spoolRoot, id), componentLogger('thumb-spool-test'));
    await thumbnails.start();
  });

  after(async () => {
    thumbnails?.stop();
    await nats?.stop();
  });

  const sinkOf = (recordingId: string) => {
    const sink = thumbnails.keyframeSink({ recordingId, stream, hasVideo: true, plan: { formats: [{ format: 'flv' }, { format: 'm3u8' }] } });
    assert.ok(sink, 'the stream has a configuration');
    return (atMs: number) => sink({ codec: 'avc', record, frame, atMs, timelineMs: atMs - T0 } satisfies KeyframeSample);
  };
  const fileOf = (recordingId: string, format: 'flv' | 'm3u8', cycle: number): [FileMeta, string] => [{
    stream, recordingId, format, sequence: cycle, startMs: T0 + cycle * CYCLE_MS, endMs: T0 + (cycle + 1) * CYCLE_MS, durationMs: CYCLE_MS,
    width: 640, height: 360, segmentKeys: [], pushArgs: {},
  }, `record/live/spool/${recordingId}_${cycle}.${format}`];
  const queue = (recordingId: string, format: 'flv' | 'm3u8', cycle: number) => {
    const [file, key] = fileOf(recordingId, format, cycle);
    thumbnails.fileQueued(file, key, local);
    return key;
  };
  const spooled = (recordingId: string) => {
    const dir = join(spoolRoot, recordingId, 'thumbs');
    return existsSync(dir) ? readdirSync(dir).map((n) => Number(n.slice(0, -4))).sort((a, b) => a - b) : [];
  };
  const cues = (fileKey: string) => readFileSync(join(storageRoot, `${fileKey}.thumbnails.vtt`), 'utf8').split('\n').filter((l) => l.includes(' --> ')).length;
  const cycleTimes = (cycle: number) => Array.from({ length: CYCLE_MS / 1000 }, (_, i) => T0 + cycle * CYCLE_MS + i * 1000);

  it('keeps only what each format\'s next file needs, cycle after cycle', async () => {
    const take = sinkOf('rec-cycles');
    for (const t of cycleTimes(0)) take(t);
    for (let cycle = 0; cycle < 4; cycle++) {
      // The next cycle is being recorded while this one's files are finalized.
      for (const t of cycleTimes(cycle + 1)) take(t);
      const flv = queue('rec-cycles', 'flv', cycle);
      await thumbnails.drain();
      assert.ok(spooled('rec-cycles').includes(T0 + cycle * CYCLE_MS), `cycle ${cycle}: the m3u8 file, not queued yet, still has its thumbnails`);
      const m3u8 = queue('rec-cycles', 'm3u8', cycle);
      await thumbnails.drain();
      assert.equal(cues(flv), 10, `cycle ${cycle}: the flv track has every thumbnail of its time`);
      assert.equal(cues(m3u8), 10, `cycle ${cycle}: so has the m3u8 track`);
      // Both formats' files of the cycle are done: only the next cycle's thumbnails are left.
      const next = cycleTimes(cycle + 1);
      await waitFor(`cycle ${cycle + 1}'s thumbnails decoded`, () => spooled('rec-cycles').length >= next.length, 20000, 20);
      assert.deepEqual(spooled('rec-cycles'), next, `after cycle ${cycle} the spool holds one cycle, not ${cycle + 2}`);
    }
    await thumbnails.recordingEnded('rec-cycles', Promise.resolve());
    assert.equal(existsSync(join(spoolRoot, 'rec-cycles')), false, 'the recording\'s spool goes when it ends');
  });

  it('makes a file\'s track without waiting for the thumbnails after its end', async () => {
    const take = sinkOf('rec-busy');
    for (const t of cycleTimes(0)) take(t);
    // The next 40 s are queued behind (one decode at a time per recording: seconds of work).
    for (let i = 0; i < 40; i++) take(T0 + CYCLE_MS + i * 1000);
    const key = queue('rec-busy', 'flv', 0);
    await waitFor('the first file\'s track', () => existsSync(join(storageRoot, `${key}.thumbnails.vtt`)), 30000, 20);
    const later = spooled('rec-busy').filter((t) => t >= T0 + CYCLE_MS).length;
    assert.ok(later < 40, `the track was made while the next file's thumbnails were still decoding (${later} of 40 made)`);
    await thumbnails.recordingEnded('rec-busy', Promise.resolve());
  });
});
