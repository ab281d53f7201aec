// The transcoder service against a real broker and real ffmpeg: demands written
// to lr_transcode_demand as the matcher would, outcomes read from the leases and
// the lr.evt.transcode.state events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KV } from '@nats-io/kv';
import { BUCKETS, SUBJECTS, bucket, publishDurable, streamToken, transcodeDemandKey, type Bus, type MatchDecision, type StreamRef, type TranscodeDemand, type TranscodeStateChanged, type TranscodeTemplate, type TranscodeTemplateKey } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { eventsOn, startNats, tempDir, waitFor, type TestNats } from '../../../test-kit/index.js';
import { TranscodeTemplateStore, type TemplateDeleteWatch } from '../src/template-store.js';
import { TranscoderService } from '../src/transcoder-service.js';
import { TEMPLATE, demandOf, publishSource } from './fixtures.js';

describe('transcoder service', () => {
  let nats: TestNats;
  let bus: Bus;
  let demands: KV;
  let leases: KV;
  let templates: TranscodeTemplateStore;

  const service = (workerId: string) => new TranscoderService(bus, loadConfig({ LR_DATA_DIR: tempDir('transcoder'), LR_WORKER_ID: workerId }));
  const states = () => eventsOn<TranscodeStateChanged>(nats.url, SUBJECTS.transcodeState);

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('transcoder-service-test');
    templates = new TranscodeTemplateStore(bus);
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
    // Its source never publishes: withdrawn, or every later service here would claim it and wait out its shutdown grace.
    await demands.delete(key);
  });

  /** The service's insides the tests below reach. */
  interface Insides {
    hosted: Map<string, unknown>;
    templateWatch: TemplateDeleteWatch;
    templates: { forStream(domain: string, app: string, id: string): Promise<TranscodeTemplate | null> };
    onTemplateDeleted(k: TranscodeTemplateKey): void;
    onDecision(d: MatchDecision): void;
  }
  const insides = (svc: TranscoderService) => svc as unknown as Insides;
  const stopsOf = async (stream: string) => (await states()).filter((e) => e.source.stream === stream && e.state !== 'started').map((e) => [e.state, e.reason]);

  it('a template watch that ended is opened again: templates deleted meanwhile and later still stop their renditions', async () => {
    // Each rendition with its app's own template, so deleting one leaves the others.
    const gap: StreamRef = { domain: 'localhost', app: 'gap', stream: 'gap' };
    const later: StreamRef = { domain: 'localhost', app: 'later', stream: 'later' };
    for (const s of [gap, later]) await templates.add({ ...TEMPLATE, app: s.app });
    const gapKey = transcodeDemandKey(streamToken(gap), TEMPLATE.id);
    const laterKey = transcodeDemandKey(streamToken(later), TEMPLATE.id);
    const svc = service('t3');
    await svc.start();
    const watch = insides(svc).templateWatch;
    try {
      await demands.put(gapKey, JSON.stringify(demandOf(gap, 'g1', null)));
      await demands.put(laterKey, JSON.stringify(demandOf(later, 'l1', null)));
      await waitFor('both renditions hosted', () => insides(svc).hosted.has(gapKey) && insides(svc).hosted.has(laterKey), 10000, 20);
      assert.equal(watch.opened, 1);
      // The watch ends without stop() (as when its consumer or connection goes), and a template is deleted before it is open again.
      (watch as unknown as { watch: { stop(): void } }).watch.stop();
      await templates.remove({ domain: 'localhost', app: gap.app, id: TEMPLATE.id });
      await waitFor('the watch open again', () => watch.opened === 2, 10000, 20);
      await waitFor('the rendition of the template deleted while the watch was closed stopped', async () => (await stopsOf('gap')).length > 0, 10000);
      assert.deepEqual(await stopsOf('gap'), [['stopped', 'template_deleted']]);
      assert.ok(insides(svc).hosted.has(laterKey), 'the rendition whose template is still there goes on');
      // The new watch sees a later delete.
      await templates.remove({ domain: 'localhost', app: later.app, id: TEMPLATE.id });
      await waitFor('the rendition of the template deleted later stopped', async () => (await stopsOf('later')).length > 0, 10000);
      assert.deepEqual(await stopsOf('later'), [['stopped', 'template_deleted']]);
      await waitFor('both demands withdrawn', async () => (await demands.get(gapKey))?.operation !== 'PUT' && (await demands.get(laterKey))?.operation !== 'PUT', 10000);
    } finally {
      await svc.stop();
    }
    assert.equal((watch as unknown as { watch: unknown }).watch, null, 'stop() ends the watch');
    assert.equal(watch.opened, 2, 'and it is not opened again');
  });

  it('a template deleted while its rendition is being launched stops the rendition', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'race', stream: 'race' };
    const tk: TranscodeTemplateKey = { domain: 'localhost', app: source.app, id: TEMPLATE.id };
    await templates.add({ ...TEMPLATE, app: source.app });
    const key = transcodeDemandKey(streamToken(source), TEMPLATE.id);
    const svc = service('t4');
    await svc.start();
    try {
      // The launch reads the template; it is deleted, and the watch has seen the delete, before the job is hosted.
      const inner = insides(svc);
      const forStream = inner.templates.forStream.bind(inner.templates);
      const onTemplateDeleted = inner.onTemplateDeleted.bind(svc);
      let seen!: () => void;
      const deleteSeen = new Promise<void>((resolve) => (seen = resolve));
      inner.onTemplateDeleted = (k) => {
        onTemplateDeleted(k);
        if (k.app === tk.app) seen();
      };
      inner.templates.forStream = async (domain, app, id) => {
        const t = await forStream(domain, app, id);
        if (app === tk.app) {
          assert.equal(inner.hosted.has(key), false, 'read before the job is hosted');
          await templates.remove(tk);
          await deleteSeen;
        }
        return t;
      };
      await demands.put(key, JSON.stringify(demandOf(source, 'r1', null)));
      await waitFor('the rendition stopped', async () => (await stopsOf('race')).length > 0, 10000);
      assert.deepEqual(await stopsOf('race'), [['stopped', 'template_deleted']]);
      await waitFor('its demand withdrawn and lease released', async () => (await demands.get(key))?.operation !== 'PUT' && (await leases.get(key))?.operation !== 'PUT', 10000);
      assert.equal(inner.hosted.has(key), false);
    } finally {
      await svc.stop();
    }
  });

  it('a rendition the matcher decides not to record stops (not_recorded): ffmpeg ends, its demand is withdrawn and its lease released', async () => {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: 'unrecorded' };
    const key = transcodeDemandKey(streamToken(source), TEMPLATE.id);
    const svc = service('t5');
    await svc.start();
    const inner = insides(svc);
    // Each decision the service has handled, in order (decisions come on one subscription, one at a time).
    const handled: MatchDecision[] = [];
    const onDecision = inner.onDecision.bind(svc);
    inner.onDecision = (d) => {
      onDecision(d);
      handled.push(d);
    };
    let publisher: { end(): Promise<void> } | null = null;
    try {
      const b = await publishSource(bus, source, 'u1', 6);
      publisher = b.publisher;
      await demands.put(key, JSON.stringify(demandOf(source, 'u1', b.startSeq)));
      const started = await waitFor('the rendition started', async () => (await states()).find((e) => e.source.stream === source.stream && e.state === 'started'), 20000);
      const [pid] = await waitFor('its ffmpeg running', () => (svc.ffmpegPids().length === 1 ? svc.ffmpegPids() : null), 10000, 20);
      const rendition: StreamRef = started.rendition;
      const decision = (sessionId: string, record: boolean): MatchDecision => ({
        stream: rendition, sessionId, record, reason: record ? 'recording' : 'no_template', detail: 'test', templateId: null, trigger: null, plan: null, at: Date.now(),
      });
      // Decisions that are not "this rendition is not recorded" leave it alone: another session's, and one to record.
      await publishDurable(bus, SUBJECTS.matchDecision, decision('another-session', false));
      await publishDurable(bus, SUBJECTS.matchDecision, decision(started.sessionId, true));
      await waitFor('both decisions handled', () => handled.length === 2, 10000, 20);
      assert.ok(inner.hosted.has(key), 'still made after decisions about other sessions or to record');
      assert.deepEqual(svc.ffmpegPids(), [pid]);
      assert.deepEqual(await stopsOf(source.stream), []);

      // The matcher decides the rendition's own publish session is not recorded.
      await publishDurable(bus, SUBJECTS.matchDecision, decision(started.sessionId, false));
      await waitFor('the rendition stopped', async () => (await stopsOf(source.stream)).length > 0, 20000);
      const stops = (await states()).filter((e) => e.source.stream === source.stream && e.state !== 'started');
      assert.deepEqual(stops.map((e) => [e.state, e.reason, e.sessionId, e.sourceSessionId, e.workerId]), [['stopped', 'not_recorded', started.sessionId, 'u1', 't5']]);
      // The state event comes once the job is done and its end recorded: ffmpeg has exited and, as for source_ended, the demand is withdrawn.
      assert.deepEqual(svc.ffmpegPids(), []);
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'its ffmpeg is gone');
      assert.notEqual((await demands.get(key))?.operation, 'PUT', 'the demand is withdrawn');
      assert.notEqual((await leases.get(key))?.operation, 'PUT', 'the lease is released');
      // The claim tried after every end finds no demand: nothing is made again.
      await waitFor('it is neither made nor being claimed', () => !svc.renditionKeys().includes(key), 10000, 20);
      assert.equal(inner.hosted.has(key), false);
    } finally {
      await publisher?.end();
      await svc.stop();
    }
    assert.deepEqual(await stopsOf(source.stream), [['stopped', 'not_recorded']], 'no other rendition of it later');
  });
});
