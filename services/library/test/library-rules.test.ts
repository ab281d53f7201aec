// Table tests of the library's pure rules: playlist merging, what a stored file
// registers as, where outputs go, the retry schedule, ffmpeg arguments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileStored, VodFileSettings } from '../../../libs/bus/index.js';
import { concatListLine, scaleFilter } from '../../../libs/media/index.js';
import { composedAssetId, originalAssetId, processingOf, registrationOf } from '../src/asset-registration.js';
import { mergedKey } from '../src/compose-worker.js';
import { mergePlaylists, playlistObjectKeys, playlistSpan, rebaseUri } from '../src/playlist-merge.js';
import { MAX_ATTEMPTS, backoffMs, renditionKey } from '../src/process-worker.js';

const vod: VodFileSettings = {
  format: 'm3u8', autoCompose: true, videoProcess: ['origin'], processMethod: 'transcode', processTemplateId: 'g360', category: 'sports', tags: ['a'],
  templateId: 't', spaceId: 'sp', storageLocation: '',
};

function stored(withVod: boolean): FileStored {
  return {
    objectKey: 'record/live/cam/2026-11-26-10-00-00_2026-11-26-10-01-00.m3u8', storage: { kind: 'local', bucket: '', endpoint: '' }, size: 10, sha256: 'x', url: 'http://h/k',
    file: {
      stream: { domain: 'localhost', app: 'live', stream: 'cam' }, recordingId: 'rec1', format: 'm3u8', sequence: 2, startMs: 1000, endMs: 61000, durationMs: 60000,
      width: 1280, height: 720, segmentKeys: [], pushArgs: {}, ...(withVod ? { vod } : {}),
    },
  };
}

const P1 = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T10:00:00.000Z
#EXTINF:4.000,
1795680000_0.ts
#EXTINF:3.500,
1795680004_1.ts
#EXT-X-ENDLIST
`;
const P2 = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:5
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PROGRAM-DATE-TIME:2026-11-26T10:00:07.500Z
#EXTINF:5.000,
1795680008_2.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.250,
1795680013_3.ts
#EXT-X-ENDLIST
`;

describe('playlist merge', () => {
  it('one VOD playlist over every segment, in order, with the largest version and target duration', () => {
    const m = mergePlaylists([{ key: 'record/live/cam/a.m3u8', text: P1 }, { key: 'record/live/cam/b.m3u8', text: P2 }], 'record/live/cam/merged.m3u8');
    assert.equal(m.segmentCount, 4);
    assert.equal(m.durationMs, 14750);
    // The second file starts where the first ended (10:00:00 + 7.5 s): one stream, no break at the join.
    assert.equal(m.joinBreaks, 0);
    assert.equal(m.text, [
      '#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:5', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-26T10:00:00.000Z', '#EXTINF:4.000,', '1795680000_0.ts', '#EXTINF:3.500,', '1795680004_1.ts',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-26T10:00:07.500Z', '#EXTINF:5.000,', '1795680008_2.ts', '#EXT-X-DISCONTINUITY', '#EXTINF:2.250,', '1795680013_3.ts',
      '#EXT-X-ENDLIST', '',
    ].join('\n'));
  });

  const joins: [string, string | null, boolean][] = [
    ['starts where the previous ended', '2026-11-26T10:00:07.500Z', false],
    ['starts within the tolerance', '2026-11-26T10:00:08.200Z', false],
    ['starts after a gap (the publisher came back)', '2026-11-26T10:00:12.000Z', true],
    ['starts before the previous ended (timestamps restarted)', '2026-11-26T10:00:05.000Z', true],
    ['has no program date-time to tell', null, true],
  ];
  for (const [what, pdt, marked] of joins) {
    it(`a join is marked #EXT-X-DISCONTINUITY only at a timestamp break: the next file ${what}`, () => {
      const next = ['#EXTM3U', '#EXT-X-VERSION:3', ...(pdt ? [`#EXT-X-PROGRAM-DATE-TIME:${pdt}`] : []), '#EXTINF:2.000,', 'n0.ts', '#EXT-X-ENDLIST'].join('\n');
      const m = mergePlaylists([{ key: 'a/p1.m3u8', text: P1 }, { key: 'a/p2.m3u8', text: next }], 'a/merged.m3u8');
      assert.equal(m.joinBreaks, marked ? 1 : 0);
      const lines = m.text.split('\n');
      const join = lines.indexOf('1795680004_1.ts');
      // The tag comes before everything of the next file's first segment.
      assert.deepEqual(lines.slice(join + 1, join + 2), marked ? ['#EXT-X-DISCONTINUITY'] : [pdt ? `#EXT-X-PROGRAM-DATE-TIME:${pdt}` : '#EXTINF:2.000,']);
      assert.equal(lines.filter((l) => l === '#EXT-X-DISCONTINUITY').length, marked ? 1 : 0);
    });
  }

  it('a playlist\'s span comes from its program date-times and durations', () => {
    assert.deepEqual(playlistSpan(P1), { startMs: Date.parse('2026-11-26T10:00:00.000Z'), endMs: Date.parse('2026-11-26T10:00:07.500Z') });
    assert.deepEqual(playlistSpan('#EXTM3U\n#EXTINF:2.000,\na.ts\n'), { startMs: null, endMs: null });
  });

  const rebase: [string, string, string, string][] = [
    ['same folder', 'x.ts', 'a/s/p.m3u8', 'x.ts'],
    ['from another folder', 'x.ts', 'a/c/p.m3u8', '../c/x.ts'],
    ['absolute URL kept', 'https://cdn/x.ts', 'a/c/p.m3u8', 'https://cdn/x.ts'],
    ['climbing URI resolved', '../s/x.ts', 'a/s/p.m3u8', 'x.ts'],
  ];
  for (const [what, uri, from, want] of rebase) {
    it(`rebases URIs: ${what}`, () => assert.equal(rebaseUri(uri, from, 'a/s/merged.m3u8'), want));
  }

  it('lists the objects a playlist names, init segments included', () => {
    assert.deepEqual(playlistObjectKeys('#EXTM3U\n#EXT-X-MAP:URI="i.mp4"\n#EXTINF:1,\nx.m4s\nhttp://o/y.ts\n', 'r/a/p.m3u8'), ['r/a/i.mp4', 'r/a/x.m4s']);
  });
});

describe('asset registration', () => {
  it('a media-library file becomes an asset named after its stream, with its template category and tags', () => {
    const r = registrationOf(stored(true));
    assert.ok(r);
    assert.equal(r.title, 'cam');
    assert.equal(r.categoryName, 'sports');
    assert.deepEqual(r.tags, ['a']);
    assert.equal(r.recordId, 'rec1-m3u8-2');
    assert.equal(r.assetId, originalAssetId('rec1', 'm3u8', 2));
    assert.match(r.assetId, /^v[0-9a-f]{31}$/);
  });

  it('an object-storage file is not an asset', () => assert.equal(registrationOf(stored(false)), null));

  it('ids are stable and distinct per identity', () => {
    assert.equal(originalAssetId('r', 'flv', 0), originalAssetId('r', 'flv', 0));
    assert.notEqual(originalAssetId('r', 'flv', 0), originalAssetId('r', 'flv', 1));
    assert.notEqual(composedAssetId('r', 'flv'), composedAssetId('r', 'mp4'));
  });

  const processing: [string, Partial<VodFileSettings>, 'record' | 'compose', ReturnType<typeof processingOf>][] = [
    ['origin processes cycle files', {}, 'record', { groupId: 'g360', trigger: 'origin' }],
    ['origin does not process the merge', {}, 'compose', null],
    ['compose processes the merge', { videoProcess: ['compose'] }, 'compose', { groupId: 'g360', trigger: 'compose' }],
    ['no video_process, nothing', { videoProcess: [] }, 'record', null],
    ['no template group, nothing', { processTemplateId: '' }, 'record', null],
  ];
  for (const [what, o, source, want] of processing) {
    it(`processing: ${what}`, () => assert.deepEqual(processingOf({ ...vod, ...o }, source), want));
  }
});

describe('outputs and retries', () => {
  it('a merge is stored beside its first file, named by the whole span', () => {
    assert.equal(mergedKey({ objectKey: 'record/live/cam/x.flv', startMs: Date.UTC(2026, 10, 26, 10), format: 'flv' }, Date.UTC(2026, 10, 26, 11, 30)),
      'record/live/cam/2026-11-26-10-00-00_2026-11-26-11-30-00_merged.flv');
  });

  it('a rendition is stored beside its asset, named after it, the group and the definition', () => {
    assert.equal(renditionKey('record/live/cam/a_b.m3u8', 'g1', '360p'), 'record/live/cam/a_b_g1_360p.mp4');
  });

  it('retries double from 2 s, capped at 5 minutes; a task has a bounded number of attempts', () => {
    assert.deepEqual([1, 2, 3, 20].map(backoffMs), [2000, 4000, 8000, 300000]);
    assert.ok(MAX_ATTEMPTS >= 2);
  });

  const scales: [number, number, string | null][] = [[640, 360, 'scale=640:360'], [0, 360, 'scale=-2:360'], [640, 0, 'scale=640:-2'], [0, 0, null]];
  for (const [w, h, want] of scales) it(`scale filter ${w}x${h}`, () => assert.equal(scaleFilter({ width: w, height: h }), want));

  it("concat list lines quote paths and escape single quotes", () => {
    assert.equal(concatListLine("/tmp/it's.flv"), "file '/tmp/it'\\''s.flv'");
  });
});
