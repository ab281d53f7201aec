// The library's events on a real nats-server: a process_finished published again (a
// redelivered job of a finished task) is one message in the events stream (its msgID),
// and any copy that lands after the broker's duplicate window carries the same
// callback id for the notifier's delivery ledger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS, type Bus, type MediaAsset, type ProcessFinished, type ProcessTask } from '../../../libs/bus/index.js';
import { startNats, type TestNats } from '../../../test-kit/index.js';
import { callbackId } from '../../notifier/src/callback-id.js';
import { processFinished } from '../src/library-events.js';

const task: ProcessTask = { taskId: 'tabc', assetId: 'v1', groupId: 'g', status: 'succeeded', error: '', attempts: 1, trigger: 'compose', createdMs: 1, completedMs: 2 };

describe('library events', () => {
  let nats: TestNats;
  let bus: Bus;
  before(async () => {
    nats = await startNats();
    bus = await nats.bus('library-events-test');
  });
  after(async () => {
    await bus?.close();
    await nats?.stop();
  });

  it('process_finished published twice is one event, with one callback id', async () => {
    const asset = { assetId: 'v1' } as MediaAsset;
    await processFinished(bus, task, asset);
    await processFinished(bus, task, asset);
    const info = await bus.jsm.streams.info(STREAMS.events, { subjects_filter: SUBJECTS.libraryProcessFinished });
    assert.equal(info.state.subjects?.[SUBJECTS.libraryProcessFinished], 1, 'the broker kept one copy');

    // A copy past the duplicate window would be a second message: the notifier keys its delivery by
    // the callback id, which is the msgID's, the same for every copy.
    const consumer = await bus.jsm.consumers.add(STREAMS.events, { filter_subject: SUBJECTS.libraryProcessFinished, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const messages = await (await bus.js.consumers.get(STREAMS.events, consumer.name)).fetch({ max_messages: 1, expires: 2000 });
    const got: JsMsg[] = [];
    for await (const m of messages) got.push(m);
    assert.equal(got.length, 1);
    assert.equal(got[0].headers?.get('Nats-Msg-Id'), `process_finished:${task.taskId}`);
    const ev = got[0].json<ProcessFinished>();
    assert.equal(callbackId(got[0], ev), callbackId({ headers: got[0].headers, subject: got[0].subject } as JsMsg, { ...ev, at: ev.at + 600_000 }));
  });
});
