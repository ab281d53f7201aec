import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SnapshotConfig } from '../../../../libs/bus/index.js';
import { annexBKeyframe, avcParameterSets, lengthPrefixedNals } from '../../../../libs/media/index.js';
import { KeyframeSampler } from './keyframe-sampler.js';
import { configFor } from '../../../../libs/bus/snapshot-configs.js';
import { thumbnailKey, tierHeight, trackKeys } from './thumbnail-names.js';
import { selectThumbnails } from './thumbnail-track.js';
import { thumbnailVtt, tileSize } from './webvtt-track.js';

const stream = { domain: 'example.com', app: 'live', stream: 'cam1' };

describe('thumbnails - keyframe sampling', () => {
  const cases: [string, number, number[], boolean[]][] = [
    ['the first keyframe is always taken', 2, [5100], [true]],
    ['one per interval: the first at or after each boundary', 2, [1000, 1900, 2000, 3999, 4001, 6500], [true, false, true, false, true, true]],
    ['a GOP longer than the interval: every keyframe', 1, [0, 2000, 4000], [true, true, true]],
    ['a replayed (earlier) keyframe is not taken twice', 2, [4000, 2000, 4100, 6000], [true, false, false, true]],
  ];
  for (const [name, interval, times, expected] of cases) {
    it(name, () => {
      const s = new KeyframeSampler(interval);
      assert.deepEqual(times.map((t) => s.take(t)), expected);
    });
  }
});

describe('thumbnails - configuration of a stream', () => {
  const config = (app: string, intervalSeconds: number): SnapshotConfig => ({
    domain: 'example.com', app, intervalSeconds, resolution: 'source', storage: { kind: 'local', bucket: '', endpoint: '' }, overwriteObject: '', sequenceObject: 'x/{UnixTimestamp}.jpg', createdMs: 0,
  });
  it('the app\'s own wins over the domain\'s "*", other domains never match', () => {
    const m = new Map([['example.com/*', config('*', 5)], ['example.com/live', config('live', 2)]]);
    assert.equal(configFor(m, stream)?.intervalSeconds, 2);
    assert.equal(configFor(m, { ...stream, app: 'other' })?.intervalSeconds, 5);
    assert.equal(configFor(m, { ...stream, domain: 'other.com' }), null);
  });
});

describe('thumbnails - object names', () => {
  it('renders the placeholders; Sequence is the interval number', () => {
    assert.equal(thumbnailKey('snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg', stream, 1_795_000_123_456, 7), 'snapshot/live/cam1/1795000123.jpg');
    assert.equal(thumbnailKey('{DomainName}/{StreamName}-{Sequence}.jpg', stream, 10_000, 5), 'example.com/cam1-5.jpg');
    assert.equal(thumbnailKey('{AppName}/{StreamName}.jpg', stream, 10_000, 5), 'live/cam1.jpg');
  });
  it('refuses a rendered key that would leave the storage root', () => {
    assert.throws(() => thumbnailKey('{AppName}/{StreamName}.jpg', { ...stream, app: '..' }, 0, 1), /not a safe object key/);
  });
  it('puts the track next to the file, named after its whole name', () => {
    assert.deepEqual(trackKeys('record/live/cam1/a_b.m3u8', 2), {
      coverKey: 'record/live/cam1/a_b.m3u8.cover.jpg', vttKey: 'record/live/cam1/a_b.m3u8.thumbnails.vtt', spriteKeys: ['record/live/cam1/a_b.m3u8.sprite-0.jpg', 'record/live/cam1/a_b.m3u8.sprite-1.jpg'],
    });
  });
  it('gives each format\'s file of a cycle its own track (the files differ only by extension)', () => {
    const keys = ['flv', 'mp4', 'm3u8'].map((ext) => trackKeys(`record/live/cam1/a_b.${ext}`, 1)).flatMap((k) => [k.coverKey, k.vttKey, ...k.spriteKeys]);
    assert.equal(new Set(keys).size, keys.length, keys.join(' '));
  });
  it('tiers are heights', () => {
    assert.deepEqual((['source', '720p', '480p', '360p'] as const).map(tierHeight), [null, 720, 480, 360]);
  });
});

describe('thumbnails - WebVTT track', () => {
  const layout = { tileWidth: 160, tileHeight: 90, columns: 2, rows: 2 };
  it('cues cover the whole file, each tile addressed by #xywh', () => {
    const vtt = thumbnailVtt([120, 2050, 4000, 6010, 8000], 9500, layout, ['s-0.jpg', 's-1.jpg']);
    assert.equal(vtt, [
      'WEBVTT', '',
      '00:00:00.000 --> 00:00:02.050', 's-0.jpg#xywh=0,0,160,90', '',
      '00:00:02.050 --> 00:00:04.000', 's-0.jpg#xywh=160,0,160,90', '',
      '00:00:04.000 --> 00:00:06.010', 's-0.jpg#xywh=0,90,160,90', '',
      '00:00:06.010 --> 00:00:08.000', 's-0.jpg#xywh=160,90,160,90', '',
      '00:00:08.000 --> 00:00:09.500', 's-1.jpg#xywh=0,0,160,90', '',
    ].join('\n'));
  });
  it('writes hours and clamps thumbnails past the end', () => {
    const vtt = thumbnailVtt([0, 3_725_004, 9_000_000], 3_800_000, layout, ['s.jpg']);
    assert.match(vtt, /00:00:00\.000 --> 01:02:05\.004\n/);
    assert.match(vtt, /01:02:05\.004 --> 01:03:20\.000\n/);
    assert.doesNotMatch(vtt, /xywh=0,90/, 'a thumbnail after the end gets no cue');
  });
  it('tiles keep the aspect, even heights', () => {
    assert.deepEqual(tileSize(1280, 720), { tileWidth: 160, tileHeight: 90 });
    assert.deepEqual(tileSize(720, 1280), { tileWidth: 160, tileHeight: 284 });
    assert.deepEqual(tileSize(0, 0), { tileWidth: 160, tileHeight: 90 });
  });
  it('selects a file\'s thumbnails by time, thinned evenly', () => {
    assert.deepEqual(selectThumbnails([5, 1, 3, 9, 7], 3, 9), [3, 5, 7]);
    assert.deepEqual(selectThumbnails(Array.from({ length: 10 }, (_, i) => i), 0, 10, 5), [0, 2, 4, 6, 8]);
  });
});

describe('thumbnails - Annex-B keyframes', () => {
  // avcC: version 1, profile/compat/level, lengthSizeMinusOne 3, 1 SPS, 1 PPS.
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xaa]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const avcc = Buffer.concat([Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps]);
  const idr = Buffer.from([0x65, 0x88, 0x84, 0x00]);
  const sei = Buffer.from([0x06, 0x05, 0x01]);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, sei.length]), sei, Buffer.from([0, 0, 0, idr.length]), idr]);

  it('reads the parameter sets and NAL units', () => {
    assert.deepEqual(avcParameterSets(avcc), { nalLengthSize: 4, sets: [sps, pps] });
    assert.deepEqual(lengthPrefixedNals(frame, 4), [sei, idr]);
  });
  it('writes start codes before the parameter sets and each NAL unit', () => {
    const sc = Buffer.from([0, 0, 0, 1]);
    assert.deepEqual(annexBKeyframe('avc', avcc, frame), Buffer.concat([sc, sps, sc, pps, sc, sei, sc, idr]));
  });
  it('refuses truncated input', () => {
    assert.throws(() => avcParameterSets(avcc.subarray(0, 10)), /ends early/);
    assert.throws(() => lengthPrefixedNals(frame.subarray(0, 6), 4), /ends early/);
    assert.throws(() => avcParameterSets(Buffer.from([0, 1, 2, 3, 4, 5, 6])), /not an AVC/);
  });
});
