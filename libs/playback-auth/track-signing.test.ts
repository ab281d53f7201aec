import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSignature, signThumbnailTrack } from './index.js';

const SECRET = 'k'.repeat(32);
const TRACK = 'record/live/cam/a_b.thumbnails.vtt';

describe('signed thumbnail tracks', () => {
  it('signs each cue\'s image before its media fragment; timings, header and absolute URLs stay', () => {
    const text = [
      'WEBVTT', '',
      '00:00:00.000 --> 00:00:02.000', 'a_b.sprite-0.jpg#xywh=0,0,160,90', '',
      '00:00:02.000 --> 00:00:04.000', 'https://cdn.example.com/x.jpg#xywh=160,0,160,90', '',
      '00:00:04.000 --> 00:00:06.000', '../../../../etc/passwd', '',
    ].join('\n');
    const lines = signThumbnailTrack(text, TRACK, SECRET, 2_000_000_000).split('\n');
    assert.deepEqual(lines.slice(0, 3), ['WEBVTT', '', '00:00:00.000 --> 00:00:02.000']);
    const m = /^a_b\.sprite-0\.jpg\?(expires=\d+&signature=[0-9a-f]{64})#xywh=0,0,160,90$/.exec(lines[3]);
    assert.ok(m, lines[3]);
    assert.deepEqual(checkSignature(SECRET, 'record/live/cam/a_b.sprite-0.jpg', new URLSearchParams(m[1]), 1_900_000_000), { ok: true, expiresSec: 2_000_000_000 });
    assert.equal(lines[6], 'https://cdn.example.com/x.jpg#xywh=160,0,160,90', 'absolute URLs are not ours to sign');
    assert.equal(lines[9], '../../../../etc/passwd', 'nothing outside the storage root is signed');
  });
});
