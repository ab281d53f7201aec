// The transcoder service against a real broker and real ffmpeg: demands written
// to lr_transcode_demand as the matcher would, outcomes read from the leases and
// the lr.evt.transcode.state events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KV } from '@nats-io/kv';
import { BUCKETS, SUBJECTS, bucket, streamToken, transcodeDemandKey, type Bus, type StreamRef, type TranscodeDemand, type TranscodeStateChanged } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { eventsOn, startNats, tempDir, waitFor, type TestNats } from '../../../test-kit/index.js';
import { TranscodeTemplateStore } from '../src/template-store.js';
import { TranscoderService } from '../src/transcoder-service.js';
import { TEMPLATE, demandOf, publishSource } from './fixtures.js';

describe('transcoder service', () => {
  let nats: TestNats;
  let bus: Bus;
  let demands: KV;
  let leases: KV;

  const service = (workerId: string) => new TranscoderService(bus, loadConfig({ LR_DATA_DIR: tempDir('transcoder'), LR_WORKER_ID: workerId }));
  const states = () => eventsOn<TranscodeStateChanged>(nats.url, SUBJECTS.transcodeState);

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('transcoder-service-test');
    const templates = new TranscodeTemplateStore(bus);
    await templates.open();
    await templates.add(TEMPLATE);
    demands = await bucket(bus, BUCKETS.transcodeDemand);
    leases = await bucket(bus, BUCKETS.transcodeLeases);
  });

  after(async () => {
    await nats?.stop();
  });

  it('a newer source session\'s demand replaces a job still waiting for the old session', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: 'republished' };
    const key = transcodeDemandKey(streamToken(source), TEMPLATE.id);
    const svc = service('t1');
    await svc.start();
    let publisher: { end(): Promise<void> } | null = null;
    try {
      // The old session never reaches the media plane (its publisher went away before its first GOP).
      await demands.put(key, JSON.stringify(demandOf(source, 'old-session', null)));
      await waitFor('the old session\'s job', async () => svc.renditionKeys().includes(key) && (await leases.get(key))?.string() === 't1', 10000, 50);
      // The stream is published again: the matcher writes the newer session's demand.
      const b = await publishSource(bus, source, 'new-session', 6);
      publisher = b.publisher;
      await demands.put(key, JSON.stringify(demandOf(source, 'new-session', b.startSeq)));
      // Well within the 30 s a silent source takes to end its job.
      const started = await waitFor('the newer session\'s rendition', async () => (await states()).find((e) => e.state === 'started'), 20000);
      assert.equal(started.sourceSessionId, 'new-session');
      const old = (await states()).find((e) => e.sourceSessionId === 'old-session');
      assert.deepEqual([old?.state, old?.reason], ['stopped', 'superseded']);
      assert.equal((await demands.get(key))?.json<TranscodeDemand>().sourceSessionId, 'new-session', 'the newer demand is kept');
    } finally {
      await publisher?.end();
      await svc.stop();
    }
  });

  it('a claim under way when the service stops launches nothing and gives the rendition back', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: 'shutdown' };
    const key = transcodeDemandKey(streamToken(source), TEMPLATE.id);
    const svc = service('t2');
    await svc.start();
    await demands.put(key, JSON.stringify(demandOf(source, 's1', null)));
    // A claim in flight (this one, or the watch's if it came first) when stop() is called.
    const claiming = (svc as unknown as { claim(key: string): Promise<void> }).claim(key);
    await svc.stop();
    assert.deepEqual(svc.renditionKeys(), [], 'nothing made or being claimed after stop()');
    await claiming;
    assert.notEqual((await leases.get(key))?.operation, 'PUT', 'no lease left behind');
    assert.equal((await demands.get(key))?.json<TranscodeDemand>().claims ?? 0, 0, 'the demand is not counted as claimed');
    assert.ok(!(await states()).some((e) => e.source.stream === 'shutdown'), 'no rendition started or stopped');
  });
});
