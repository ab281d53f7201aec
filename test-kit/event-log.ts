import type { EventEmitter } from 'node:events';

export interface LoggedEvent {
  name: string;
  payload: unknown;
  at: number;
}

/**
 * Records what an emitter emits, in order, so that a test waits for the event it
 * needs (already seen or still to come) instead of sleeping and hoping.
 */
export class EventLog {
  readonly all: LoggedEvent[] = [];
  private waiters: { match: (e: LoggedEvent) => boolean; resolve: (e: LoggedEvent) => void }[] = [];

  constructor(emitter: EventEmitter, names: string[]) {
    for (const name of names) {
      emitter.on(name, (payload: unknown) => {
        const e = { name, payload, at: Date.now() };
        this.all.push(e);
        for (const w of [...this.waiters]) {
          if (!w.match(e)) continue;
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e);
        }
      });
    }
  }

  /** The payloads of one event name, in order. */
  of<T>(name: string, match: (p: T) => boolean = () => true): T[] {
    return this.all.filter((e) => e.name === name && match(e.payload as T)).map((e) => e.payload as T);
  }

  /** Resolves with the first event (past or future) of that name matching; rejects after `timeoutMs` so a test fails instead of hanging. */
  until<T>(name: string, match: (p: T) => boolean, what: string, timeoutMs = 30000): Promise<T> {
    const seen = this.all.find((e) => e.name === name && match(e.payload as T));
    if (seen) return Promise.resolve(seen.payload as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw: ${this.all.map((e) => e.name).join(', ')}`));
      }, timeoutMs);
      const waiter = {
        match: (e: LoggedEvent) => e.name === name && match(e.payload as T),
        resolve: (e: LoggedEvent) => {
          clearTimeout(timer);
          resolve(e.payload as T);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
