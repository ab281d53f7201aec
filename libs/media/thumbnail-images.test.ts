// Thumbnails through the real ffmpeg: a keyframe carried as FLV carries it (configuration record +
// length-prefixed NAL units) made Annex-B and decoded at each tier; sprite sheets tiled.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { annexBKeyframe, composeSpriteSheets, jpegSize, keyframeToJpeg, splitJpegs } from './index.js';

/** One keyframe from ffmpeg's encoder as an Annex-B elementary stream. */
function encodedKeyframe(codec: 'avc' | 'hevc', width: number, height: number): Buffer {
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-frames:v', '1',
    ...(codec === 'avc' ? ['-c:v', 'libx264', '-f', 'h264'] : ['-c:v', 'libx265', '-x265-params', 'log-level=none', '-f', 'hevc']), 'pipe:1',
  ], { maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  return r.stdout;
}

function nalsOf(annexB: Buffer): Buffer[] {
  const starts: { at: number; len: number }[] = [];
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      starts.push({ at: i + 3, len: i > 0 && annexB[i - 1] === 0 ? 4 : 3 });
      i += 2;
    }
  }
  return starts.map((s, k) => annexB.subarray(s.at, k + 1 < starts.length ? starts[k + 1].at - starts[k + 1].len : annexB.length));
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const lengthPrefixed = (nals: Buffer[]) => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, n.length >> 8, n.length & 0xff]), n]));

/** What FLV carries: the configuration record and the frame's length-prefixed NAL units. */
function asFlvCarries(codec: 'avc' | 'hevc', annexB: Buffer): { record: Buffer; frame: Buffer } {
  const nals = nalsOf(annexB);
  if (codec === 'avc') {
    const type = (n: Buffer) => n[0] & 0x1f;
    const sps = nals.filter((n) => type(n) === 7);
    const pps = nals.filter((n) => type(n) === 8);
    const record = Buffer.concat([Buffer.from([1, sps[0][1], sps[0][2], sps[0][3], 0xff, 0xe0 | sps.length]), ...sps.flatMap((n) => [u16(n.length), n]), Buffer.from([pps.length]), ...pps.flatMap((n) => [u16(n.length), n])]);
    return { record, frame: lengthPrefixed(nals.filter((n) => ![7, 8].includes(type(n)))) };
  }
  const type = (n: Buffer) => (n[0] >> 1) & 0x3f;
  const sets = [32, 33, 34].map((t) => nals.filter((n) => type(n) === t));
  const header = Buffer.alloc(23);
  header[0] = 1;
  header[21] = 0x03;
  header[22] = sets.length;
  const arrays = sets.flatMap((list, i) => [Buffer.from([32 + i]), u16(list.length), ...list.flatMap((n) => [u16(n.length), n])]);
  return { record: Buffer.concat([header, ...arrays]), frame: lengthPrefixed(nals.filter((n) => ![32, 33, 34].includes(type(n)))) };
}

describe('thumbnail images (ffmpeg)', () => {
  for (const codec of ['avc', 'hevc'] as const) {
    it(`decodes a ${codec} keyframe from its configuration record and NAL units, scaled down to the tier, never up`, async () => {
      const { record, frame } = asFlvCarries(codec, encodedKeyframe(codec, 1280, 720));
      const annexB = annexBKeyframe(codec, record, frame);
      const sizes: [number | null, number, number][] = [[null, 1280, 720], [720, 1280, 720], [480, 854, 480], [360, 640, 360]];
      for (const [tier, width, height] of sizes) {
        const img = await keyframeToJpeg(codec, annexB, tier);
        assert.deepEqual([img.width, img.height], [width, height], `tier ${tier}`);
        assert.deepEqual(jpegSize(img.jpeg), { width, height });
      }
      const portrait = asFlvCarries(codec, encodedKeyframe(codec, 720, 1280));
      const upright = await keyframeToJpeg(codec, annexBKeyframe(codec, portrait.record, portrait.frame), 360);
      assert.deepEqual([upright.width, upright.height], [360, 640], 'a tier bounds the short side of a portrait picture');
      const small = asFlvCarries(codec, encodedKeyframe(codec, 320, 180));
      const img = await keyframeToJpeg(codec, annexBKeyframe(codec, small.record, small.frame), 360);
      assert.deepEqual([img.width, img.height], [320, 180], 'a smaller source is not scaled up');
    });
  }

  it('refuses what is not a picture', async () => {
    await assert.rejects(keyframeToJpeg('avc', Buffer.from([0, 0, 0, 1, 0x65, 1, 2, 3]), 360), /thumbnail decode/);
    assert.throws(() => jpegSize(Buffer.from('not a jpeg')), /not a JPEG/);
  });

  it('tiles thumbnails into sheets of columns x rows, the last one partly filled', async () => {
    const one = await keyframeToJpeg('avc', encodedKeyframe('avc', 640, 360), null);
    const sheets = await composeSpriteSheets(Array.from({ length: 7 }, () => one.jpeg), { tileWidth: 160, tileHeight: 90, columns: 3, rows: 2 });
    assert.equal(sheets.length, 2);
    for (const s of sheets) assert.deepEqual(jpegSize(s), { width: 480, height: 180 });
    assert.deepEqual(splitJpegs(Buffer.concat(sheets)).map((b) => b.length), sheets.map((b) => b.length));
    assert.deepEqual(await composeSpriteSheets([], { tileWidth: 160, tileHeight: 90, columns: 3, rows: 2 }), []);
  });

  it('tiles thumbnails read one at a time from an async source, and fails with a source that fails', async () => {
    const one = await keyframeToJpeg('avc', encodedKeyframe('avc', 1280, 720), null, { quality: 2 });
    let pulled = 0;
    async function* lazily(n: number, failAt = -1): AsyncGenerator<Buffer> {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error('spool thumbnail gone');
        pulled++;
        yield one.jpeg;
      }
    }
    // Enough source-tier pictures to fill the pipe many times over: written as ffmpeg takes them.
    const sheets = await composeSpriteSheets(lazily(150), { tileWidth: 160, tileHeight: 90, columns: 10, rows: 10 });
    assert.equal(pulled, 150);
    assert.equal(sheets.length, 2);
    for (const s of sheets) assert.deepEqual(jpegSize(s), { width: 1600, height: 900 });
    await assert.rejects(composeSpriteSheets(lazily(30, 20), { tileWidth: 160, tileHeight: 90, columns: 10, rows: 10 }), /sprite sheet: reading its input: spool thumbnail gone/);
  });
});
