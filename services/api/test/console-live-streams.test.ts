// The console's view of live streams, read off the ingest events in LR_EVENTS on a real
// broker: each stream's newest session (a late copy of an older publish or the end of an
// older session changes nothing), live ones first, ready once the log as it was at start
// has been read, and following on after the broker restarts and after its reader ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, ensureTopology, publishDurable, SUBJECTS, type Bus, type IngestPublished, type IngestUnpublished, type StreamRef } from '../../../libs/bus/index.js';
import { startNatsServer, type NatsServerProcess } from '../../../libs/runtime/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { freePort, tempDir, waitFor } from '../../../test-kit/index.js';
import { LiveStreamsView } from '../src/console/live-streams.js';

const T = Date.parse('2026-03-01T10:00:00Z');
const ref = (stream: string): StreamRef => ({ domain: 'localhost', app: 'live', stream });

function published(stream: string, sessionId: string, at: number): IngestPublished {
  return {
    stream: ref(stream), sessionId, nodeId: 'ingest-1', clientAddress: '127.0.0.1', host: 'localhost', params: {}, at,
    codecs: { video: 'h264', audio: 'aac', width: 640, height: 360, fps: 25, videoBitrateKbps: 800 },
    media: { subject: `lr.media.${stream}`, startSeq: null, startMs: at },
  };
}
const unpublished = (stream: string, sessionId: string, at: number): IngestUnpublished => ({ stream: ref(stream), sessionId, nodeId: 'ingest-1', at });

/** The view as (stream, session, live) triples, in its order. */
const shown = (view: LiveStreamsView) => view.list().map((s) => [s.stream.stream, s.sessionId, s.live]);

describe('console: live streams from the event log', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let view: LiveStreamsView;
  let port: number;
  const storeDir = tempDir('console-live-nats');

  const publish = (ev: IngestPublished) => publishDurable(bus, SUBJECTS.ingestPublish, ev);
  const unpublish = (ev: IngestUnpublished) => publishDurable(bus, SUBJECTS.ingestUnpublish, ev);

  before(async () => {
    port = await freePort();
    nats = await startNatsServer({ port, storeDir });
    bus = await connectBus({ url: nats.url, name: 'console-live-test', leaseTtlMs: 10000 });
    await ensureTopology(bus, 10000);
  });

  after(async () => {
    view?.stop();
    await bus?.close();
    await nats?.stop();
  });

  it('replays the log at start: newest session per stream, live first, late and stale events ignored', async () => {
    await publish(published('a', 'a1', T));
    await publish(published('b', 'b1', T + 1000));
    await unpublish(unpublished('b', 'b1', T + 2000));
    await publish(published('c', 'c2', T + 3000));
    // A late copy of c's previous session's publish, and that session's end: c2 stays live.
    await publish(published('c', 'c1', T - 5000));
    await unpublish(unpublished('c', 'c1', T + 4000));
    view = new LiveStreamsView(bus, componentLogger('console-test'));
    await view.start();
    await view.ready;
    assert.equal(view.complete, true);
    assert.deepEqual(shown(view), [['c', 'c2', true], ['a', 'a1', true], ['b', 'b1', false]]);
    assert.equal(view.list().find((s) => s.stream.stream === 'b')?.unpublishedMs, T + 2000);
  });

  it('follows on: a stream that ends and one that publishes again', async () => {
    await unpublish(unpublished('a', 'a1', T + 5000));
    await publish(published('b', 'b2', T + 6000));
    await waitFor('a ended and b live again', () => JSON.stringify(shown(view)) === JSON.stringify([['b', 'b2', true], ['c', 'c2', true], ['a', 'a1', false]]));
  });

  it('goes on after the broker restarts', async () => {
    await nats.stop();
    nats = await startNatsServer({ port, storeDir });
    await publish(published('d', 'd1', T + 7000));
    await waitFor('d live after the restart', () => view.list().some((s) => s.stream.stream === 'd' && s.live));
    assert.equal(view.list().length, 4, 'nothing read twice, nothing lost');
  });

  it('opens its reader again after it ends, from the event after the last one read', async () => {
    // What the reader does when it gives up on the broker: its iteration ends.
    (view as unknown as { reader: { stop(): void } }).reader.stop();
    await unpublish(unpublished('d', 'd1', T + 8000));
    await publish(published('e', 'e1', T + 9000));
    await waitFor('d ended and e live after the reopen', () => view.list().some((s) => s.stream.stream === 'e' && s.live) && view.list().some((s) => s.stream.stream === 'd' && !s.live));
    assert.deepEqual(shown(view), [['e', 'e1', true], ['b', 'b2', true], ['c', 'c2', true], ['d', 'd1', false], ['a', 'a1', false]]);
  });
});
