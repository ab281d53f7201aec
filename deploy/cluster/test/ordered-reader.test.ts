// libs/bus/ordered-reader.ts on a 3-node cluster: a reader whose consumer lives on
// the node that dies continues after its last message (nothing lost, nothing twice),
// and with a node down every new reader is created, though the server may place
// its consumer on the dead node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeliverPolicy } from '@nats-io/jetstream';
import { connectBus, readOrdered, type Bus } from '../../../libs/bus/index.js';
import { waitFor } from '../../../test-kit/index.js';
import { startNatsCluster, type NatsCluster } from '../../../test-kit/cluster.js';

const SUBJECT = 'lr.media.reader-test';

describe('ordered reader - a broker node dies under it', { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  let publisher: Bus;
  let reader: Bus;

  before(async () => {
    cluster = await startNatsCluster(3);
    publisher = await connectBus({ url: cluster.url, name: 'publisher', leaseTtlMs: 3000, replicas: 3 });
    reader = await connectBus({ url: cluster.url, name: 'reader', leaseTtlMs: 3000, replicas: 3 });
  });

  after(async () => {
    await reader?.close();
    await publisher?.close();
    await cluster?.stop();
  });

  it('continues after its last message when the node holding its consumer is killed', async () => {
    let published = 0;
    let publishing = true;
    // Retried with its msgID, as the ingest does: each number is stored once.
    const publish = (async () => {
      while (publishing) {
        const n = published + 1;
        try {
          await publisher.js.publish(SUBJECT, String(n), { msgID: `n${n}`, timeout: 2000 });
          published = n;
        } catch {
          // An election: the same number again.
        }
        // The publisher's own pace (20 messages a second), not a wait for anything.
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const messages = await readOrdered(reader, 'LR_MEDIA', { filter_subjects: SUBJECT, deliver_policy: DeliverPolicy.All });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const m of messages) seen.push(Number(m.string()));
    })();
    await waitFor('the first messages', () => seen.length >= 20, 10000, 50);
    let holder = '';
    for await (const c of reader.jsm.consumers.list('LR_MEDIA')) holder = c.cluster?.leader ?? holder;
    assert.ok(holder, 'the reader has a consumer with a leader');
    await cluster.node(holder).kill();
    const atKill = published;
    await waitFor('messages published after the kill, read', () => seen.length > 0 && seen[seen.length - 1] >= atKill + 20, 30000, 100);
    publishing = false;
    await publish;
    await waitFor('every message read', () => seen[seen.length - 1] === published, 15000, 50);
    messages.stop();
    await reading;
    assert.deepEqual(seen, Array.from({ length: published }, (_, i) => i + 1), 'every message once, in order');
  });

  it('creates new readers with a node down (retrying what lands on the dead node)', async () => {
    assert.ok(cluster.nodes.some((n) => !n.alive()), 'a node is down (previous test)');
    for (let i = 0; i < 12; i++) {
      const messages = await readOrdered(reader, 'LR_MEDIA', { filter_subjects: SUBJECT, deliver_policy: DeliverPolicy.All });
      let first = 0;
      for await (const m of messages) {
        first = Number(m.string());
        break;
      }
      assert.equal(first, 1, `reader ${i} starts at the first message`);
    }
  });
});
