// The playlist of a created index file: the same text as the recorder's writer, breaks marked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composePlaylist, type PlaylistSegment } from '../../../libs/hls/index.js';
import type { ClipSegment } from '../src/catalogue-schema.js';
import { ClipPlaylistWriter } from '../src/clip-playlist.js';

const T0 = Date.UTC(2026, 10, 1);

function seg(recording: string, seq: number, start: number, dur = 10_000, disc = 0, folder = 'record/live/s', url: string | null = null): ClipSegment {
  return { object_key: `${folder}/${recording}_${seq}.ts`, url, recording_id: recording, start_ms: T0 + start, end_ms: T0 + start + dur, duration_ms: dur, discontinuity: disc };
}

function write(rows: ClipSegment[], key = 'clips/live/s/c.m3u8') {
  const w = new ClipPlaylistWriter(key);
  for (const r of rows) w.add(r);
  return w.finish();
}

describe('index files - clip playlist', () => {
  it('marks a break between recordings, at a reconnect, or over a gap', () => {
    const rows = [seg('r', 0, 0), seg('r', 1, 10_000), seg('r', 2, 25_000), seg('r', 3, 35_000, 10_000, 1), seg('q', 0, 45_000)];
    const p = write(rows);
    assert.equal(p.discontinuities, 3);
    assert.equal(p.body.toString().match(/#EXT-X-DISCONTINUITY\n/g)?.length, 3);
    assert.equal(p.segments, 5);
    assert.equal(p.durationMs, 50_000);
    assert.deepEqual([p.startMs, p.endMs, p.spanEndMs, p.firstRecordingId], [T0, T0 + 55_000, T0 + 55_000, 'r']);
  });

  it("writes what the recorder's playlist writer writes: relative keys from any folder, URLs for other buckets", () => {
    const rows = [
      seg('r', 0, 0, 6_000), seg('r', 1, 6_000, 6_400), seg('r', 2, 12_400, 5_000, 0, 'clips/live/s'),
      seg('r', 3, 20_000, 6_000, 0, 'other/app/x/y'), seg('q', 0, 26_000, 12_345, 0, 'record/live/s', 'https://s3.example/b/record/live/s/q_0.ts'),
      seg('q', 1, 38_345, 2_000, 1),
    ];
    const key = 'clips/live/s/merged.m3u8';
    const expected = composePlaylist({
      playlistKey: key,
      segments: rows.map((r, i): PlaylistSegment => ({
        objectKey: r.object_key, ...(r.url ? { url: r.url } : {}), startMs: r.start_ms, durationMs: r.duration_ms,
        discontinuity: i > 0 && (r.recording_id !== rows[i - 1].recording_id || r.discontinuity === 1 || r.start_ms - rows[i - 1].end_ms > 1000),
      })),
    });
    const text = write(rows, key).body.toString();
    assert.equal(text, expected);
    assert.match(text, /^\.\.\/\.\.\/\.\.\/record\/live\/s\/r_0\.ts$/m);
    assert.match(text, /^r_2\.ts$/m);
    assert.match(text, /^https:\/\/s3\.example\/b\/record\/live\/s\/q_0\.ts$/m);
  });

  it('needs at least one segment', () => {
    assert.throws(() => new ClipPlaylistWriter('c.m3u8').finish(), /at least one segment/);
  });
});
