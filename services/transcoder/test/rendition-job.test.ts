// One rendition job against a real broker and a real ffmpeg: the source's packets
// are put on the media plane by the ingest's own publisher.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { STREAMS, SUBJECTS, streamToken, type Bus, type StreamRef, type TranscodeDemand, type TranscodeTemplate } from '../../../libs/bus/index.js';
import { FlvStreamReader } from '../../../libs/media/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { makeTestMedia, startNats, waitFor, type TestNats } from '../../../test-kit/index.js';
import { MediaPublisher } from '../../ingest/src/media-publisher.js';
import { RenditionJob, type RenditionJobOptions } from '../src/rendition-job.js';

const log = componentLogger('rendition-job-test');
const counters = { batches: () => undefined, bytes: () => undefined, failures: () => undefined };
const TEMPLATE: TranscodeTemplate = {
  domain: 'localhost', app: '*', id: 'ld', type: 'h264', width: 0, height: 180, fps: 25, gop: 25, videoKbps: 200, audioKbps: 48, createdMs: 0, updatedMs: 0,
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Puts a test file's packets on the media plane as one live session of `source` (not ended). */
async function publishSource(bus: Bus, source: StreamRef, sessionId: string, seconds: number): Promise<{ publisher: MediaPublisher; startSeq: number }> {
  const publisher = new MediaPublisher(bus, SUBJECTS.media(streamToken(source)), sessionId, 1000, log, counters);
  for (const t of new FlvStreamReader().push(readFileSync(makeTestMedia('h264-aac', seconds)))) {
    publisher.onPacket({ codec_type: t.type, flags: 0, dts: t.timestampMs, size: t.body.length, data: t.body });
  }
  return { publisher, startSeq: await publisher.firstSeq };
}

function demandOf(source: StreamRef, sourceSessionId: string, startSeq: number | null): TranscodeDemand {
  return {
    source, sourceSessionId, media: { subject: SUBJECTS.media(streamToken(source)), startSeq, startMs: Date.now() },
    sourceCodecs: { video: 'h264', audio: 'aac', width: 640, height: 360, fps: 25, videoBitrateKbps: 800 },
    params: {}, transcodeTemplateId: 'ld', recordTemplateId: 'r1', at: Date.now(),
  };
}

function job(bus: Bus, demand: TranscodeDemand, extra: Partial<RenditionJobOptions> = {}): RenditionJob {
  return new RenditionJob({
    bus, demand, template: TEMPLATE, rendition: { ...demand.source, stream: `${demand.source.stream}_ld` }, workerId: 'w1', batchMs: 500,
    from: 'session_start', idleMs: 60000, log, counters, onCodecs: () => undefined, onStarted: () => undefined, ...extra,
  });
}

describe('rendition job', () => {
  let nats: TestNats;
  let bus: Bus;

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('rendition-job-test');
  });

  after(async () => {
    await nats?.stop();
  });

  it('a publish event the broker does not take fails the rendition and kills its ffmpeg', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: 'unannounced' };
    const { publisher, startSeq } = await publishSource(bus, source, 'src-1', 6);
    // The events stream is gone: lr.evt.ingest.publish has no responders, every attempt fails.
    await bus.jsm.streams.delete(STREAMS.events);
    let started = false;
    const j = job(bus, demandOf(source, 'src-1', startSeq), { onStarted: () => (started = true) });
    try {
      const pid = await waitFor('ffmpeg to run', () => j.pid(), 15000, 50);
      const r = await waitFor('the job to end', () => Promise.race([j.done, new Promise<null>((res) => setTimeout(() => res(null), 200))]), 30000, 0);
      assert.equal(r.exit, 'failed');
      assert.match(r.detail, /publish event was not taken/);
      assert.equal(started, false, 'never reported started');
      assert.equal(alive(pid), false, 'its ffmpeg is gone');
    } finally {
      j.stop('shutdown');
      await j.done;
      await publisher.end();
    }
  });
});
