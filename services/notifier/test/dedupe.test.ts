// Each callback id is delivered once, whatever copies of its event the log holds.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { BUCKETS, STREAMS, SUBJECTS, bucket, type Bus, type FileStored, type NotifyConfig, type RecordingNotice } from '../../../libs/bus/index.js';
import { loadConfig } from '../../../libs/config/index.js';
import { startNats, tempDir, waitFor, type TestNats } from '../../../test-kit/index.js';
import { HEADER_ID } from '../src/callback-signing.js';
import { NotifierService } from '../src/notifier-service.js';

const DOMAIN = 'dedupe.example';
const stream = { domain: DOMAIN, app: 'live', stream: 'd' };

describe('notifier - one delivery per callback id', () => {
  let nats: TestNats;
  let bus: Bus;
  let receiver: Server;
  let notifier: NotifierService;
  const received: { id: string; event: string }[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ id: String(req.headers[HEADER_ID]), event: String(JSON.parse(body).event) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    nats = await startNats();
    bus = await nats.bus('notifier-test');
    const config: NotifyConfig = { domain: DOMAIN, notifyUrl: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/cb`, onDemandUrl: '', needStatusNotify: true, authKey: '', updatedMs: 0 };
    await (await bucket(bus, BUCKETS.notify)).put(DOMAIN, JSON.stringify(config));
    // A short duplicate window, so that a retried publish with the same msgID lands twice,
    // as one after the broker's (two-minute) window would.
    const info = await bus.jsm.streams.info(STREAMS.events);
    await bus.jsm.streams.update(STREAMS.events, { ...info.config, duplicate_window: 100 * 1e6 });
    notifier = new NotifierService(bus, loadConfig({ LR_DATA_DIR: tempDir('notifier') }));
    await notifier.start();
  });

  after(async () => {
    await notifier?.stop();
    await nats?.stop();
    receiver?.close();
  });

  /** Publishes until the log holds a second copy (a repeat inside the duplicate window is dropped by the broker). */
  async function publishTwice(subject: string, payload: unknown, msgID?: string): Promise<void> {
    const data = JSON.stringify(payload);
    await bus.js.publish(subject, data, msgID ? { msgID } : {});
    await waitFor('a second copy in the log', async () => !(await bus.js.publish(subject, data, msgID ? { msgID } : {})).duplicate, 5000, 110);
  }

  it('the same notice and file event published twice: one callback each; a distinct event still gets its own', async () => {
    const notice: RecordingNotice = { stream, recordingId: 'rdup', notice: 'record_started', pushArgs: {}, at: Date.now() };
    const paused: RecordingNotice = { ...notice, notice: 'record_paused', at: notice.at + 1 };
    const file: FileStored = {
      objectKey: 'record/live/d/rdup.m3u8', storage: { kind: 'local', bucket: '', endpoint: '' }, size: 1, sha256: 'x', url: 'http://h/f',
      file: { stream, recordingId: 'rdup', format: 'm3u8', sequence: 0, startMs: 0, endMs: 1, durationMs: 1, width: 0, height: 0, segmentKeys: [], pushArgs: {} },
    };
    await publishTwice(SUBJECTS.recordingNotice, notice);                       // a producer without msgID
    await publishTwice(SUBJECTS.recordingNotice, paused, 'rdup:notice:record_paused:w1:n3'); // with the recorder's msgID
    await publishTwice(SUBJECTS.fileStored, file, 'stored:rdup:file:m3u8:0');  // the uploader's msgID
    // Also a copy whose only link to the first is its header: same msgID, content re-stamped.
    const h = natsHeaders();
    h.set('Nats-Msg-Id', 'rdup:notice:record_paused:w1:n3');
    await waitFor('a re-stamped copy in the log', async () => !(await bus.js.publish(SUBJECTS.recordingNotice, JSON.stringify({ ...paused, at: paused.at + 5 }), { headers: h })).duplicate, 5000, 110);
    const idle = async (durable: string) => {
      const c = await bus.jsm.consumers.info(STREAMS.events, durable);
      return c.num_pending === 0 && c.num_ack_pending === 0;
    };
    await waitFor('every copy handled', async () => (await idle('notifier-status')) && (await idle('notifier-files')), 20000, 100);
    const byId = new Map<string, string[]>();
    for (const r of received) byId.set(r.id, [...(byId.get(r.id) ?? []), r.event]);
    assert.deepEqual([...byId.values()].map((events) => events.length), [1, 1, 1], `one delivery per id: ${JSON.stringify([...byId])}`);
    assert.deepEqual(received.map((r) => r.event).sort(), ['record_file', 'record_paused', 'record_started']);
  });
});
