// The segmenter against a real broker: a session published by the ingest's
// media publisher is cut into segments holding every packet; a cut asked for
// while the reader is still starting records what was published; repeated and
// missing batches are told apart.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { headers } from '@nats-io/transport-node';
import { connectBus, type Bus } from '../../../libs/bus/index.js';
import { MEDIA_HEADERS, readFlvTags } from '../../../libs/media/index.js';
import { startNatsServer, type NatsServerProcess } from '../../../libs/runtime/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { MediaPublisher } from '../../ingest/src/media-publisher.js';
import { freePort, makeTestMedia, tempDir, videoPacketHashes } from '../../../test-kit/index.js';
import { startMediaSegmenter, type ClosedSegment, type SegmenterExit, type SegmenterOptions } from '../src/media-segmenter.js';

const log = componentLogger('segmenter-test');
const counters = { batches: () => undefined, bytes: () => undefined, failures: () => undefined };

/** Publishes a media file's tags as one session, as the ingest would; resolves with the session's first sequence. */
async function publishSession(bus: Bus, subject: string, sessionId: string, file: string): Promise<number> {
  const pub = new MediaPublisher(bus, subject, sessionId, 200, log, counters);
  for (const t of readFlvTags(readFileSync(file))) {
    if (t.type !== 8 && t.type !== 9) continue;
    pub.onPacket({ codec_type: t.type, flags: 0, dts: t.timestampMs, size: t.body.length, data: t.body });
  }
  await pub.end();
  return pub.firstSeq;
}

function run(bus: Bus, subject: string, from: SegmenterOptions['from'], dir: string, sessionId: string | null): {
  segments: ClosedSegment[]; exit: Promise<{ reason: SegmenterExit; error: string | null }>; handle: ReturnType<typeof startMediaSegmenter>;
} {
  const segments: ClosedSegment[] = [];
  let done!: (r: { reason: SegmenterExit; error: string | null }) => void;
  const exit = new Promise<{ reason: SegmenterExit; error: string | null }>((r) => (done = r));
  const handle = startMediaSegmenter({
    bus, subject, from, sessionId, timeline: null, timelineEndMs: null, sliceMs: 2000, container: 'ts', flvParts: false, hasVideo: true,
    dir, startNumber: 0, generation: 1, idleMs: 5000, log,
    onPosition: () => undefined,
    onSegment: (s) => segments.push(s),
    onExit: (reason, error) => done({ reason, error }),
  });
  return { segments, exit, handle };
}

/** The video packets of a run of TS segments, as one file. */
function hashesOf(segments: ClosedSegment[]): string[] {
  const joined = join(tempDir('joined'), 'all.ts');
  writeFileSync(joined, Buffer.concat(segments.map((s) => readFileSync(s.spoolPath))));
  return videoPacketHashes(joined);
}

describe('media segmenter', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  const source = makeTestMedia('h264-aac', 6);
  const srcHashes = videoPacketHashes(source);

  before(async () => {
    const storeDir = tempDir('seg-nats');
    nats = await startNatsServer({ port: await freePort(), storeDir });
    bus = await connectBus({ url: nats.url, name: 'segmenter-test', leaseTtlMs: 5000 });
  });

  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('cuts a whole session at keyframes into segments holding every video packet, and stops at its end', async () => {
    const first = await publishSession(bus, 'lr.media.whole', 'sess-a', source);
    const dir = tempDir('seg-whole');
    const r = run(bus, 'lr.media.whole', { seq: first }, dir, 'sess-a');
    const exit = await r.exit;
    assert.equal(exit.reason, 'session_ended', String(exit.error));
    assert.ok(r.segments.length >= 3, `segments of about 2 s: ${r.segments.length}`);
    assert.deepEqual(hashesOf(r.segments), srcHashes, 'every video packet, in order');
    assert.ok(r.segments.every((s, i) => i === 0 || s.startSeq === r.segments[i - 1].nextSeq), 'each segment starts where the previous one ended');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cut asked for while the reader is still starting records everything published before it', async () => {
    const first = await publishSession(bus, 'lr.media.cut', 'sess-b', source);
    const dir = tempDir('seg-cut');
    const r = run(bus, 'lr.media.cut', { seq: first }, dir, 'sess-b');
    await r.handle.stop('cut');
    const exit = await r.exit;
    assert.equal(exit.reason, 'stopped');
    assert.deepEqual(hashesOf(r.segments), srcHashes);
  });

  it('a repeated batch is skipped; a missing one marks its segment discontinuous', async () => {
    const subject = 'lr.media.holes';
    const first = await publishSession(bus, subject, 'sess-c', source);
    const dir = tempDir('seg-holes');
    // Copy the session to a new subject: batch 3 (the third GOP) twice, batch 2 (the second GOP) left out.
    const copy = 'lr.media.holes2';
    let copyFirst = 0;
    for (let seq = first; ; seq++) {
      // The first sequence past the stream's end answers "no message": that ends the copy.
      const m = await bus.jsm.streams.getMessage('LR_MEDIA', { seq }).catch(() => null);
      if (!m) break;
      if (m.subject !== subject) continue;
      const no = m.header.get(MEDIA_HEADERS.batch);
      if (no === '2') continue;
      const times = no === '3' ? 2 : 1;
      for (let i = 0; i < times; i++) {
        const h = headers();
        for (const k of [MEDIA_HEADERS.session, MEDIA_HEADERS.batch, MEDIA_HEADERS.entry, MEDIA_HEADERS.end]) if (m.header.has(k)) h.set(k, m.header.get(k));
        const ack = await bus.js.publish(copy, m.data, { headers: h });
        copyFirst ||= ack.seq;
      }
    }
    const r = run(bus, copy, { seq: copyFirst }, dir, 'sess-c');
    assert.equal((await r.exit).reason, 'session_ended');
    const rec = hashesOf(r.segments);
    assert.ok(rec.length < srcHashes.length, 'the missing batch\'s packets are missing');
    assert.equal(new Set(rec).size, rec.length, 'no packet twice');
    assert.equal(r.segments.filter((s) => s.gap).length, 1, 'one segment is marked discontinuous');
  });

  it('a reader may start at any GOP mid-session: the entry batch carries the configuration records', async () => {
    const first = await publishSession(bus, 'lr.media.mid', 'sess-d', source);
    let entry = 0;
    let seen = 0;
    for (let seq = first; !entry; seq++) {
      const m = await bus.jsm.streams.getMessage('LR_MEDIA', { seq });
      if (!m) throw new Error(`no message ${seq}`);
      // Batch 0 holds only the configuration records; batch 1 begins the first GOP, batch 2 the second.
      if (m.subject === 'lr.media.mid' && m.header.has(MEDIA_HEADERS.entry) && ++seen === 3) entry = seq;
    }
    const r = run(bus, 'lr.media.mid', { seq: entry }, tempDir('seg-mid'), 'sess-d');
    assert.equal((await r.exit).reason, 'session_ended');
    const rec = hashesOf(r.segments);
    const offset = srcHashes.indexOf(rec[0]);
    assert.ok(offset > 0, `starts after the beginning (at ${offset} of ${srcHashes.length}, ${rec.length} recorded, entry ${entry} after ${first})`);
    assert.deepEqual(rec, srcHashes.slice(offset), 'a contiguous run of the source to its end');
  });
});
