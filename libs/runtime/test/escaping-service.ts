// Child process of supervisor.test.ts: a service whose work keeps throwing, under
// a Supervisor, with the process's escaped-error handler. Prints one JSON line
// per event; node's test runner would take these errors as test failures, so
// they happen here, in a process of their own.
import { catchEscapedErrors, observeEscapedErrors, Supervisor, type Startable } from '../index.js';

const emit = (e: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(e)}\n`);

catchEscapedErrors();
const escaped: { service: string | null; message: string; kind: string }[] = [];
let lateSeen!: () => void;
const late = new Promise<void>((r) => (lateSeen = r));
let unattributedSeen!: () => void;
const unattributed = new Promise<void>((r) => (unattributedSeen = r));
observeEscapedErrors((e) => {
  escaped.push({ service: e.service, message: e.message, kind: e.kind });
  emit({ event: 'escaped', service: e.service, message: e.message, kind: e.kind });
  if (e.message === 'late') lateSeen();
  if (e.message === 'outside any service') unattributedSeen();
});

let starts = 0;
let stops = 0;
let stable!: () => void;
const fourthStart = new Promise<void>((r) => (stable = r));
const flaky: Startable = {
  name: 'flaky',
  async start() {
    starts++;
    emit({ event: 'started', starts });
    if (starts === 1) {
      setTimeout(() => {
        throw new Error('boom 1');
      }, 5);
      // Work of the first run that fails long after it was replaced: must not restart the current run.
      setTimeout(() => {
        throw new Error('late');
      }, 400);
    }
    if (starts === 2) {
      setTimeout(() => {
        throw new Error('boom 2');
      }, 5);
    }
    if (starts === 3) void (async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('rejected');
    })();
    if (starts === 4) stable();
  },
  async stop() {
    stops++;
  },
};

const restarts: unknown[] = [];
const supervisor = new Supervisor(flaky, { firstBackoffMs: 10, maxBackoffMs: 50, onRestart: (r) => restarts.push(r) });
await supervisor.start();
await fourthStart;
await late;
setTimeout(() => {
  throw new Error('outside any service');
}, 1);
await unattributed;
await supervisor.stop();
emit({ event: 'summary', starts, stops, restarts, escaped });
