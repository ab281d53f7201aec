import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlvStreamReader, flvFileHeader, flvTag, liveTranscodeOutputOptions } from '../../../libs/media/index.js';

const tags = [
  flvTag(18, 0, Buffer.from('meta')),
  flvTag(9, 0, Buffer.from([0x17, 0, 0, 0, 0, 1, 2])),
  flvTag(8, 23, Buffer.from([0xaf, 1, 9, 9])),
  flvTag(9, 0x01020304, Buffer.from([0x27, 1, 0, 0, 40, 5])),
];
const stream = Buffer.concat([flvFileHeader(true, true), ...tags]);

describe('FLV stream reader', () => {
  for (const size of [1, 3, 13, 17, stream.length]) {
    it(`gives the same tags whatever the chunk size (${size})`, () => {
      const r = new FlvStreamReader();
      const got = [];
      for (let at = 0; at < stream.length; at += size) got.push(...r.push(stream.subarray(at, at + size)));
      assert.deepEqual(got.map((t) => [t.type, t.timestampMs, t.body.toString('hex')]), [
        [18, 0, Buffer.from('meta').toString('hex')],
        [9, 0, '17000000000102'],
        [8, 23, 'af010909'],
        [9, 0x01020304, '27010000280' + '5'],
      ]);
      assert.equal(r.leftover, 0);
    });
  }

  it('keeps a cut tag as leftover', () => {
    const r = new FlvStreamReader();
    assert.equal(r.push(stream.subarray(0, stream.length - 3)).length, 3);
    assert.equal(r.leftover, tags[3].length - 3);
  });

  it('refuses what is not FLV', () => {
    assert.throws(() => new FlvStreamReader().push(Buffer.from('GIF89a-not-an-flv')), /not an FLV stream/);
  });
});

describe('live transcode options', () => {
  it('encodes H.264 at the template size, fixed GOP, and AAC', () => {
    const o = liveTranscodeOutputOptions({ width: 640, height: 360, fps: 25, gop: 50, videoKbps: 800, audioKbps: 64, audio: true }).join(' ');
    assert.match(o, /-vf scale=640:360 -r 25 -c:v libx264 -preset veryfast/);
    assert.match(o, /-g 50 -keyint_min 50 -sc_threshold 0 -b:v 800k/);
    assert.match(o, /-c:a aac -b:a 64k/);
    assert.match(o, /-f flv$/);
  });

  it('keeps the aspect ratio for a 0 side, and drops audio the source lacks', () => {
    const o = liveTranscodeOutputOptions({ width: 0, height: 360, fps: 30, gop: 60, videoKbps: 500, audioKbps: 64, audio: false }).join(' ');
    assert.match(o, /scale=-2:360/);
    assert.match(o, / -an /);
    assert.doesNotMatch(o, /aac/);
  });
});
