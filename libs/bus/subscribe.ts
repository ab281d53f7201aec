import type { Msg, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../telemetry/index.js';
import type { Bus } from './connection.js';

/**
 * A core-NATS subscription to JSON messages (events nobody acknowledges): a
 * subscription error and a message that does not parse are logged with what the
 * subscription was for, never dropped without a word; so is a handler that throws.
 */
export function subscribeJson<T>(bus: Bus, subject: string, what: string, log: Logger, onMessage: (payload: T, msg: Msg) => void): Subscription {
  return bus.nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) {
        log.error({ subject, err: err.message }, `${what}: subscription failed`);
        return;
      }
      let payload: T;
      try {
        payload = msg.json<T>();
      } catch (e) {
        log.error({ subject: msg.subject, err: (e as Error).message }, `${what}: unreadable message`);
        return;
      }
      try {
        onMessage(payload, msg);
      } catch (e) {
        log.error({ subject: msg.subject, err: (e as Error).message }, `${what}: handling failed`);
      }
    },
  });
}
