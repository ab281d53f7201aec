// The media reader against a real broker: it reads what was stored before it came
// from the broker, then takes the messages this connection publishes straight from
// the hub, and goes back to the broker whenever the hub cannot prove it holds the
// next message (another publisher in between, an overflowing queue, a publisher
// gone quiet while the subject moved on): every message once, in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliverPolicy } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { STREAMS, SUBJECTS, connectBus, readMedia, storeMedia, type Bus, type MediaMessages, type MediaMsg } from '../index.js';
import { startNatsServer, type NatsServerProcess } from '../../runtime/index.js';
import { componentLogger } from '../../telemetry/index.js';
import { freePort, tempDir, waitFor, within } from '../../../test-kit/index.js';

const log = componentLogger('media-reader-test');

interface Publisher {
  last: number | null;
  /** Stores a message whose payload is `label` (padded to `size` bytes); returns its sequence. */
  send(label: string, size?: number): Promise<number>;
}

function publisher(bus: Bus, subject: string): Publisher {
  let n = 0;
  const p: Publisher = {
    last: null,
    async send(label, size = 0) {
      const data = Buffer.alloc(Math.max(size, label.length));
      data.write(label);
      const { seq } = await storeMedia(bus, subject, data, headers(), { msgID: `${subject}:${n++}:${label}`, timeoutMs: 5000, after: p.last });
      p.last = seq;
      return seq;
    },
  };
  return p;
}

const labelOf = (m: MediaMsg) => Buffer.from(m.data).toString('utf8').replace(/\0+$/, '');
const fromHub = (m: MediaMsg) => 'prevSeq' in m;

/** Collects what the reader hands out, and lets a test wait until a label came. */
function collect(reader: MediaMessages) {
  const got: MediaMsg[] = [];
  const waiters: { label: string; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const m of reader) {
      got.push(m);
      for (const w of waiters.filter((x) => x.label === labelOf(m))) w.resolve();
    }
  })();
  return {
    got,
    done,
    until: (label: string) => (got.some((m) => labelOf(m) === label) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ label, resolve }))),
  };
}

describe('media reader: broker first, then the hub', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let other: Bus;
  let n = 0;
  const subject = () => SUBJECTS.media(`reader-test-${++n}`);
  const consumersOn = async (s: string) => {
    let count = 0;
    for await (const c of bus.jsm.consumers.list(STREAMS.media)) if (c.config.filter_subject === s) count++;
    return count;
  };

  before(async () => {
    nats = await startNatsServer({ port: await freePort(), storeDir: tempDir('media-reader-nats') });
    bus = await connectBus({ url: nats.url, name: 'media-reader-test', leaseTtlMs: 10000 });
    other = await connectBus({ url: nats.url, name: 'another-ingest', leaseTtlMs: 10000 });
  });

  after(async () => {
    await other?.close();
    await bus?.close();
    await nats?.stop();
  });

  it('reads the stored messages from the broker, then the new ones from the hub, and stops the broker consumer', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const first = await pub.send('m1');
    await pub.send('m2');
    await pub.send('m3');
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first }, {}, log);
    const c = collect(reader);
    await within('the stored messages', c.until('m3'), 10000);
    // Which of the broker's delivery and its acknowledgement comes first is a race: publish until the hub won it once.
    let i = 3;
    await waitFor('the hub to feed the reader', async () => {
      await pub.send(`m${++i}`);
      await within(`m${i}`, c.until(`m${i}`), 10000);
      return fromHub(c.got.at(-1)!);
    }, 20000, 0);
    await waitFor('the broker consumer to be deleted', async () => (await consumersOn(s)) === 0, 10000);
    await pub.send(`m${++i}`);
    await within('the last message', c.until(`m${i}`), 10000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), Array.from({ length: i }, (_, k) => `m${k + 1}`));
    assert.ok(c.got.slice(0, 3).every((m) => !fromHub(m)), 'what was stored before the reader came is read from the broker');
    assert.ok(fromHub(c.got.at(-1)!), 'once caught up, the hub feeds the reader');
    assert.equal(await consumersOn(s), 0);
  });

  it('takes the very first message from the hub when it is the sequence asked for', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const next = (await bus.jsm.streams.info(STREAMS.media)).state.last_seq + 1;
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next }, {}, log);
    const c = collect(reader);
    // The broker consumer was created before: it may deliver it too, so the hub's copy is only awaited, not required first.
    const seq = await pub.send('e1');
    assert.equal(seq, next, 'nothing else was stored meanwhile');
    await within('e1', c.until('e1'), 10000);
    await pub.send('e2');
    await within('e2', c.until('e2'), 10000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), ['e1', 'e2']);
  });

  it('a repeat recognised by its msgID never claims a predecessor the broker did not check', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const last = await pub.send('f1');
    await publisher(other, s).send('z1');
    const h = headers();
    // Refused claim, stored without one: then the same msgID again, as a retry after a lost acknowledgement would.
    const stored = await storeMedia(bus, s, Buffer.from('f2'), h, { msgID: `${s}:f2`, timeoutMs: 5000, after: last });
    assert.equal(stored.prevSeq, null);
    const repeat = await storeMedia(bus, s, Buffer.from('f2'), headers(), { msgID: `${s}:f2`, timeoutMs: 5000, after: last });
    assert.equal(repeat.seq, stored.seq);
    assert.equal(repeat.prevSeq, null, 'a duplicate acknowledgement carries no checked claim');
  });

  it('reads only what comes next when asked for new messages', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    await pub.send('a0'); // before the reader: not for it
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.New }, {}, log);
    const c = collect(reader);
    await pub.send('a1');
    await pub.send('a2');
    await within('both messages', c.until('a2'), 10000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), ['a1', 'a2']);
  });

  it('reads from the broker what another publisher stored in between, then the hub again', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const elsewhere = publisher(other, s);
    const first = await pub.send('b1');
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first }, {}, log);
    const c = collect(reader);
    await pub.send('b2');
    await within('b2', c.until('b2'), 10000);
    await elsewhere.send('x1');
    await elsewhere.send('x2');
    await pub.send('b3'); // its claim to follow b2 fails: stored without one
    await pub.send('b4');
    await within('b4', c.until('b4'), 10000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), ['b1', 'b2', 'x1', 'x2', 'b3', 'b4']);
    assert.ok(!fromHub(c.got[2]) && !fromHub(c.got[3]), 'the other publisher\'s messages come from the broker');
  });

  it('finds the subject moving on elsewhere while the hub is quiet', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const elsewhere = publisher(other, s);
    const first = await pub.send('c1');
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first }, {}, log);
    const c = collect(reader);
    await pub.send('c2');
    await within('c2 from the hub', c.until('c2'), 10000);
    assert.ok(fromHub(c.got[1]));
    await elsewhere.send('y1');
    await within('y1, which only the broker has', c.until('y1'), 20000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), ['c1', 'c2', 'y1']);
  });

  it('a reader that falls behind by more than the hub holds gets the rest from the broker, in order', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const first = await pub.send('d0');
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first }, {}, log);
    const got: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let all!: () => void;
    const allIn = new Promise<void>((r) => (all = r));
    const done = (async () => {
      for await (const m of reader) {
        got.push(labelOf(m));
        if (got.length === 1) await gate; // busy while 12 MB arrive
        if (labelOf(m) === 'd12') all();
      }
    })();
    for (let i = 1; i <= 12; i++) await pub.send(`d${i}`, 1_000_000);
    release();
    await within('all twelve', allIn, 20000);
    reader.stop();
    await done;
    assert.deepEqual(got, ['d0', ...Array.from({ length: 12 }, (_, i) => `d${i + 1}`)]);
  });
});
