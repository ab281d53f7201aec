// One rendition job against a real broker and a real ffmpeg: the source's packets
// are put on the media plane by the ingest's own publisher.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headers } from '@nats-io/transport-node';
import { STREAMS, SUBJECTS, streamToken, type Bus, type StreamRef, type TranscodeDemand } from '../../../libs/bus/index.js';
import { MEDIA_HEADERS } from '../../../libs/media/index.js';
import { startNats, waitFor, within, type TestNats } from '../../../test-kit/index.js';
import { RenditionJob, type RenditionJobOptions } from '../src/rendition-job.js';
import { TEMPLATE, counters, demandOf, log, publishSource } from './fixtures.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
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

  it('a source that sends only another session\'s packets ends its job after the idle time', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: 'idle' };
    const j = job(bus, demandOf(source, 'old-session', null), { idleMs: 1500 });
    // A newer session of the same stream goes on publishing: none of it is this job's source.
    let sending = true;
    let sent = 0;
    const h = headers();
    h.set(MEDIA_HEADERS.session, 'new-session');
    const foreign = (async () => {
      while (sending) {
        await bus.js.publish(SUBJECTS.media(streamToken(source)), new Uint8Array([1]), { headers: h });
        sent++; // each next message as soon as the broker took the last: the other session never pauses
      }
    })();
    try {
      const r = await within('the job to end while the other session goes on', j.done, 10000);
      assert.equal(r.exit, 'source_ended');
      assert.ok(sent > 10, `the other session was sending all along (${sent} messages)`);
      assert.equal(j.begun, false);
    } finally {
      sending = false;
      await foreign;
      j.stop('shutdown');
      await j.done;
    }
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
      const r = await within('the job to end', j.done, 30000);
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
