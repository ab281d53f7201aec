// node-media-server has no way to refuse a publish from its prePublish hook, but it
// checks its own signed URL right after the hook: with `auth: { publish, play, secret }`
// on, the ingest writes a valid `sign` into the session's query to accept and an
// invalid one to refuse. The secret is per process and never leaves it.
import { createHash, randomBytes } from 'node:crypto';
import type { NmsSession } from 'node-media-server';

export const NMS_SECRET = randomBytes(32).toString('hex');

export function admit(session: NmsSession, accept: boolean): void {
  if (!accept) {
    session.streamQuery.sign = 'refused';
    return;
  }
  const exp = Math.floor(Date.now() / 1000) + 60;
  session.streamQuery.sign = `${exp}-${createHash('md5').update(`${session.streamPath}-${exp}-${NMS_SECRET}`).digest('hex')}`;
}
