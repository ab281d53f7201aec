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
import { freePort, tempDir, within } from '../../../test-kit/index.js';

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
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
    const c = collect(reader);
    await within('the stored messages', c.until('m3'), 10000);
    for (let i = 4; i <= 8; i++) await pub.send(`m${i}`);
    await within('the new messages', c.until('m8'), 10000);
    reader.stop();
    await c.done;
    assert.deepEqual(c.got.map(labelOf), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
    assert.deepEqual(c.got.map((m) => m.seq), [...c.got.map((m) => m.seq)].sort((a, b) => a - b));
    assert.ok(c.got.slice(0, 3).every((m) => !fromHub(m)), 'what was stored before the reader came is read from the broker');
    assert.ok(c.got.slice(4).every(fromHub), 'once caught up, the hub feeds the reader');
    assert.equal(c.got.at(-1)!.headers !== undefined, true);
  });

  it('starts at the hub when the very first message asked for comes from it', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.New });
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
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
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
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
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
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
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
