// Joining FLV parts: header once, repeated configuration records dropped, changed ones
// kept, other tags dropped, timestamps from zero, every body byte as it was.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { composeFlv } from './flv-compose.js';
import { TAG_AUDIO, TAG_VIDEO, flvTag, readFlvTags } from './flv-tags.js';

const SCRIPT = 18;
const avcConfig = (v: number) => Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x64, 0, v]);
const aacConfig = Buffer.from([0xaf, 0x00, 0x12, 0x10]);
const frame = (key: boolean, n: number) => Buffer.from([key ? 0x17 : 0x27, 0x01, 0, 0, 0, n & 0xff, (n >> 8) & 0xff]);
const audio = (n: number) => Buffer.from([0xaf, 0x01, n & 0xff, 0x21]);
const part = (tags: [number, number, Buffer][]) => Buffer.concat(tags.map(([type, ts, body]) => flvTag(type, ts, body)));

describe('composeFlv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flv-compose-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function compose(parts: Buffer[]) {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.flv`);
    // Copies: composeFlv rewrites the buffers it is handed.
    const result = await composeFlv(parts.length, async (i) => Buffer.from(parts[i]), out);
    const file = readFileSync(out);
    return { result, file, tags: [...readFlvTags(file)] };
  }

  it('joins parts: configuration once unless it changes, other tags dropped, timestamps from zero', async () => {
    const parts = [
      part([[TAG_VIDEO, 1000, avcConfig(1)], [TAG_AUDIO, 1000, aacConfig], [TAG_VIDEO, 1000, frame(true, 1)], [TAG_AUDIO, 1010, audio(1)], [TAG_VIDEO, 1040, frame(false, 2)]]),
      part([[TAG_VIDEO, 1080, avcConfig(1)], [TAG_AUDIO, 1080, aacConfig], [SCRIPT, 1080, Buffer.from('meta')], [TAG_VIDEO, 1080, frame(true, 3)], [TAG_AUDIO, 1090, audio(2)]]),
      part([[TAG_VIDEO, 1160, avcConfig(2)], [TAG_AUDIO, 1160, aacConfig], [TAG_VIDEO, 1160, frame(true, 4)]]),
    ];
    const { result, file, tags } = await compose(parts);
    assert.deepEqual([...file.subarray(0, 13)], [0x46, 0x4c, 0x56, 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0], 'FLV header with audio and video');
    assert.deepEqual(tags.map((t) => [t.type, t.timestampMs]), [
      [TAG_VIDEO, 0], [TAG_AUDIO, 0], [TAG_VIDEO, 0], [TAG_AUDIO, 10], [TAG_VIDEO, 40],
      [TAG_VIDEO, 80], [TAG_AUDIO, 90],
      [TAG_VIDEO, 160], [TAG_VIDEO, 160],
    ]);
    assert.deepEqual(tags.map((t) => t.body), [avcConfig(1), aacConfig, frame(true, 1), audio(1), frame(false, 2), frame(true, 3), audio(2), avcConfig(2), frame(true, 4)]);
    assert.deepEqual(result, { videoTags: 4, audioTags: 2, durationMs: 160 });
    // Every PreviousTagSize matches its tag.
    let at = 13;
    for (const t of tags) {
      assert.equal(file.readUInt32BE(at + 11 + t.body.length), 11 + t.body.length);
      at += 11 + t.body.length + 4;
    }
    assert.equal(at, file.length, 'nothing after the last tag');
  });

  it('writes timestamps past 24 bits with the extension byte', async () => {
    const { tags } = await compose([part([[TAG_VIDEO, 5, frame(true, 1)], [TAG_VIDEO, 5 + 0x1234567, frame(false, 2)]])]);
    assert.deepEqual(tags.map((t) => t.timestampMs), [0, 0x1234567]);
  });

  it('keeps the order of many runs split by dropped tags (more runs than one write takes)', async () => {
    const list: [number, number, Buffer][] = [[TAG_VIDEO, 0, avcConfig(1)]];
    for (let n = 0; n < 1500; n++) list.push([TAG_VIDEO, 40 * n, frame(n % 50 === 0, n)], [SCRIPT, 40 * n, Buffer.from('x')]);
    const { result, tags } = await compose([part(list)]);
    assert.equal(result.videoTags, 1500);
    assert.deepEqual(tags.slice(1).map((t) => t.body), Array.from({ length: 1500 }, (_, n) => frame(n % 50 === 0, n)));
    assert.deepEqual(tags.slice(1).map((t) => t.timestampMs), Array.from({ length: 1500 }, (_, n) => 40 * n));
  });
});
