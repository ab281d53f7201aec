import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { masterPlaylist, measureBandwidth, mediaSegments, overlapMs } from '../src/master-playlist.js';

describe('master playlist', () => {
  it('reads the segments of a media playlist', () => {
    const text = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PROGRAM-DATE-TIME:2026-11-26T10:00:00Z\n#EXTINF:4.000,\n1_0.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.5,\n1_1.ts\n#EXT-X-ENDLIST\n';
    assert.deepEqual(mediaSegments(text), [{ uri: '1_0.ts', durationSec: 4 }, { uri: '1_1.ts', durationSec: 2.5 }]);
  });

  const rates: [string, { durationSec: number; bytes: number }[], { peak: number; average: number }][] = [
    ['one segment', [{ durationSec: 4, bytes: 500_000 }], { peak: 1_000_000, average: 1_000_000 }],
    ['the peak segment', [{ durationSec: 4, bytes: 500_000 }, { durationSec: 2, bytes: 500_000 }], { peak: 2_000_000, average: 1_333_334 }],
    ['a short last fragment is not the peak', [{ durationSec: 4, bytes: 500_000 }, { durationSec: 0.2, bytes: 100_000 }], { peak: 1_000_000, average: 1_142_858 }],
    ['only short ones still count', [{ durationSec: 0.5, bytes: 1000 }], { peak: 16_000, average: 16_000 }],
    ['nothing', [], { peak: 0, average: 0 }],
  ];
  for (const [name, segments, want] of rates) {
    it(`measures bandwidth: ${name}`, () => assert.deepEqual(measureBandwidth(segments), want));
  }

  it('lists variants highest bandwidth first with RESOLUTION and CODECS', () => {
    const text = masterPlaylist([
      { uri: '../../../transcodeRecord/live/demo_sd/a.m3u8', bandwidth: 900_000, averageBandwidth: 800_000, width: 640, height: 360, codecs: 'avc1.64001e,mp4a.40.2' },
      { uri: 'a.m3u8', bandwidth: 2_000_000, averageBandwidth: 1_500_000, width: 1280, height: 720, codecs: 'avc1.640028,mp4a.40.2' },
      { uri: 'b.m3u8', bandwidth: 100, averageBandwidth: 0, width: 0, height: 0, codecs: '' },
    ]);
    assert.equal(text, [
      '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=1280x720,CODECS="avc1.640028,mp4a.40.2"', 'a.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"', '../../../transcodeRecord/live/demo_sd/a.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=100', 'b.m3u8', '',
    ].join('\n'));
  });

  const overlaps: [string, [number, number], [number, number], number][] = [
    ['apart', [0, 10], [20, 30], 0],
    ['touching', [0, 10], [10, 20], 0],
    ['inside', [0, 30], [10, 20], 10],
    ['shifted', [0, 12], [2, 14], 10],
  ];
  for (const [name, a, b, want] of overlaps) {
    it(`overlap: ${name}`, () => assert.equal(overlapMs({ startMs: a[0], endMs: a[1] }, { startMs: b[0], endMs: b[1] }), want));
  }
});
