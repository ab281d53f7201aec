import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** Every message of the event log on a subject, read straight from the system's JetStream. */
export async function eventsOn<T>(natsUrl: string, subject: string): Promise<T[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const out: T[] = [];
    const info = await jsm.streams.info('LR_EVENTS');
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('LR_EVENTS', { seq }).catch(() => null);
      if (m?.subject === subject) out.push(m.json<T>());
    }
    return out;
  } finally {
    await nc.close();
  }
}
