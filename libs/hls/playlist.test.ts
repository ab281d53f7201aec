import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composePlaylist } from './playlist.js';

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

describe('playlist', () => {
  it('references segments relative to the playlist and ends the list', () => {
    const text = composePlaylist({
      playlistKey: 'record/live/s1/a_b.m3u8',
      segments: [
        { objectKey: 'record/live/s1/1_0.ts', startMs: T0, durationMs: 10000, discontinuity: false },
        { objectKey: 'record/live/s1/2_1.ts', startMs: T0 + 10000, durationMs: 9500, discontinuity: false },
      ],
    });
    assert.equal(text, [
      '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:10', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-26T08:00:00.000Z', '#EXTINF:10.000,', '1_0.ts', '#EXTINF:9.500,', '2_1.ts', '#EXT-X-ENDLIST', '',
    ].join('\n'));
  });

  it('marks discontinuities with a new program date', () => {
    const text = composePlaylist({
      playlistKey: 'p/x.m3u8',
      segments: [
        { objectKey: 'p/a.ts', startMs: T0, durationMs: 4000, discontinuity: false },
        { objectKey: 'p/b.ts', startMs: T0 + 30000, durationMs: 4000, discontinuity: true },
      ],
    });
    assert.match(text, /a\.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-11-26T08:00:30.000Z\n#EXTINF:4.000,\nb\.ts/);
  });

  it('uses ../ for segments under another folder, the URL for another bucket, and EXT-X-MAP for fMP4', () => {
    const text = composePlaylist({
      playlistKey: 'files/live/x.m3u8',
      segments: [
        { objectKey: 'segs/live/1.m4s', startMs: T0, durationMs: 6000, discontinuity: false, initKey: 'segs/live/init.mp4' },
        { objectKey: 'segs/live/2.m4s', url: 'http://other/segs/live/2.m4s', startMs: T0 + 6000, durationMs: 6000, discontinuity: false, initKey: 'segs/live/init.mp4' },
        { objectKey: 'segs/live/3.m4s', startMs: T0 + 20000, durationMs: 6000, discontinuity: true, initKey: 'segs/live/init2.mp4' },
      ],
    });
    assert.match(text, /#EXT-X-VERSION:7/);
    assert.match(text, /#EXT-X-MAP:URI="..\/..\/segs\/live\/init.mp4"/);
    assert.match(text, /\n..\/..\/segs\/live\/1.m4s\n/);
    assert.match(text, /\nhttp:\/\/other\/segs\/live\/2.m4s\n/);
    assert.equal(text.match(/EXT-X-MAP/g)?.length, 2, 'a new init segment after the discontinuity');
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="..\/..\/segs\/live\/init2.mp4"/);
  });

  it('refuses an empty playlist', () => {
    assert.throws(() => composePlaylist({ playlistKey: 'x.m3u8', segments: [] }), /at least one segment/);
  });
});
