// The media reader against a real broker: it reads what was stored before it came
// from the broker, then takes the messages this connection publishes straight from
// the hub, and goes back to the broker whenever the hub cannot prove it holds the
// next message (another publisher in between, an overflowing queue, a publisher
// gone quiet while the subject moved on): every message once, in order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliverPolicy, type OrderedConsumerOptions } from '@nats-io/jetstream';
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

/** Stops the reader and returns the labels it handed out. */
async function finish(reader: MediaMessages, c: ReturnType<typeof collect>): Promise<string[]> {
  reader.stop();
  await c.done;
  return c.got.map(labelOf);
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

  /** A new subject, a reader from its first message `${prefix}1`, fed by the hub; `sent` are the labels published so far. */
  const readerFedByHub = async (prefix: string) => {
    const s = subject();
    const pub = publisher(bus, s);
    const first = await pub.send(`${prefix}1`);
    const reader = await readMedia(bus, STREAMS.media, s, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first }, {}, log);
    const c = collect(reader);
    const n = await untilHubFeeds(s, pub, c, prefix, 1);
    return { s, pub, reader, c, n, sent: Array.from({ length: n }, (_, k) => `${prefix}${k + 1}`) };
  };

  /**
   * Which of the broker's delivery and its acknowledgement comes first is a race: publishes
   * `${prefix}{n}` from `from` on until one came from the hub and the broker consumer is gone.
   * Returns the last n published.
   */
  const untilHubFeeds = async (s: string, pub: Publisher, c: ReturnType<typeof collect>, prefix: string, from: number) => {
    let i = from;
    await waitFor('the hub to feed the reader', async () => {
      await pub.send(`${prefix}${++i}`);
      await within(`${prefix}${i}`, c.until(`${prefix}${i}`), 10000);
      return fromHub(c.got.at(-1)!);
    }, 20000, 0);
    await waitFor('the broker consumer to be deleted', async () => (await consumersOn(s)) === 0, 10000);
    return i;
  };

  /** A reader of `s` from `start`; then `pub` stores each of `labels`. Returns what the reader handed out, and the labels' sequences. */
  const readWhatComes = async (s: string, pub: Publisher, start: Partial<OrderedConsumerOptions>, labels: string[]) => {
    const reader = await readMedia(bus, STREAMS.media, s, start, {}, log);
    const c = collect(reader);
    const seqs: number[] = [];
    for (const label of labels) seqs.push(await pub.send(label));
    await within('every message', c.until(labels.at(-1)!), 10000);
    return { got: await finish(reader, c), seqs };
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
    let i = await untilHubFeeds(s, pub, c, 'm', 3);
    await pub.send(`m${++i}`);
    await within('the last message', c.until(`m${i}`), 10000);
    assert.deepEqual(await finish(reader, c), Array.from({ length: i }, (_, k) => `m${k + 1}`));
    assert.ok(c.got.slice(0, 3).every((m) => !fromHub(m)), 'what was stored before the reader came is read from the broker');
    assert.ok(fromHub(c.got.at(-1)!), 'once caught up, the hub feeds the reader');
    assert.equal(await consumersOn(s), 0);
  });

  it('takes the very first message from the hub when it is the sequence asked for', async () => {
    const s = subject();
    const pub = publisher(bus, s);
    const next = (await bus.jsm.streams.info(STREAMS.media)).state.last_seq + 1;
    // The broker consumer was created before: it may deliver it too, so the hub's copy is only awaited, not required first.
    const { got, seqs } = await readWhatComes(s, pub, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next }, ['e1', 'e2']);
    assert.equal(seqs[0], next, 'nothing else was stored meanwhile');
    assert.deepEqual(got, ['e1', 'e2']);
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

  for (const earlier of [true, false]) {
    it(`reads only what comes next when asked for new messages (${earlier ? 'after an earlier message' : 'on a subject with no message yet'})`, async () => {
      const s = subject();
      const pub = publisher(bus, s);
      if (earlier) await pub.send('a0'); // before the reader: not for it
      const { got } = await readWhatComes(s, pub, { deliver_policy: DeliverPolicy.New }, ['a1', 'a2']);
      assert.deepEqual(got, ['a1', 'a2']);
    });
  }

  it('reads from the broker what another publisher stored in between, then the hub again', async () => {
    const { s, pub, reader, c, n, sent } = await readerFedByHub('b');
    await publisher(other, s).send('x1');
    await publisher(other, s).send('x2');
    await pub.send(`b${n + 1}`); // its claim to follow b{n} fails: stored without one
    await pub.send(`b${n + 2}`);
    await within('the last', c.until(`b${n + 2}`), 10000);
    assert.deepEqual(await finish(reader, c), [...sent, 'x1', 'x2', `b${n + 1}`, `b${n + 2}`]);
    assert.ok(!fromHub(c.got[n]) && !fromHub(c.got[n + 1]), 'the other publisher\'s messages come from the broker');
  });

  it('finds the subject moving on elsewhere while the hub is quiet', async () => {
    const { s, reader, c, sent } = await readerFedByHub('c');
    await publisher(other, s).send('y1');
    await within('y1, which only the broker has', c.until('y1'), 20000);
    assert.deepEqual(await finish(reader, c), [...sent, 'y1']);
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
