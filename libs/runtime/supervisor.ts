import type { Counter } from '@opentelemetry/api';
import { componentLogger, meter, type Logger } from '../telemetry/index.js';
import { runInScope, type ServiceScope } from './service-scope.js';

export interface Startable {
  /** How logs, metrics and events name it (default: its class name). */
  readonly name?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** Wait before the first restart; doubles with each failure in a row. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** A service that ran this long since its last start is healthy again: the next failure waits firstBackoffMs. */
  healthyAfterMs?: number;
  log?: Logger;
  /** Told after each restart attempt (tests and diagnostics). */
  onRestart?: (r: { service: string; attempt: number; ok: boolean; error?: string }) => void;
}

let restartCounter: Counter | null = null;

export function serviceName(s: Startable): string {
  return s.name ?? s.constructor.name;
}

/**
 * Runs one service and restarts it when it fails (an error escaping its work,
 * or reportServiceFailure) instead of letting the failure take the process
 * down: stop, wait (exponential backoff), start again. Its state lives in NATS,
 * so a fresh start resumes from there. The first start is not retried: a
 * service that cannot start at all is a configuration problem to report at once.
 */
export class Supervisor {
  readonly name: string;
  private incarnation = 0;
  private startedAt = 0;
  private failuresInARow = 0;
  private restarting: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly log: Logger;

  constructor(readonly service: Startable, private readonly opts: SupervisorOptions = {}) {
    this.name = serviceName(service);
    this.log = opts.log ?? componentLogger('supervisor');
  }

  async start(): Promise<void> {
    await this.startOnce();
  }

  private startOnce(): Promise<void> {
    const incarnation = ++this.incarnation;
    const scope: ServiceScope = { service: this.name, incarnation, fail: (err) => this.fail(incarnation, err) };
    this.startedAt = Date.now();
    return runInScope(scope, () => this.service.start());
  }

  /** A failure of the given incarnation; one of an earlier incarnation (leftover work) restarts nothing. */
  private fail(incarnation: number, err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    if (this.stopped) return;
    if (incarnation !== this.incarnation || this.restarting) {
      this.log.warn({ service: this.name, incarnation, current: this.incarnation, err: message }, 'failure of an earlier run or during a restart; no further restart');
      return;
    }
    this.restarting = this.restart(message).finally(() => (this.restarting = null));
  }

  private backoffMs(): number {
    const first = this.opts.firstBackoffMs ?? 1000;
    return Math.min(this.opts.maxBackoffMs ?? 30000, first * 2 ** Math.max(0, this.failuresInARow - 1));
  }

  private async restart(reason: string): Promise<void> {
    if (Date.now() - this.startedAt >= (this.opts.healthyAfterMs ?? 60000)) this.failuresInARow = 0;
    (restartCounter ??= meter('runtime').createCounter('liverecord_service_restarts_total', { description: 'Restarts of a failed service by its host' }))
      .add(1, { service: this.name });
    try {
      await this.service.stop();
    } catch (err) {
      this.log.error({ service: this.name, err: (err as Error).message }, 'stopping the failed service failed; starting it again anyway');
    }
    while (!this.stopped) {
      this.failuresInARow++;
      const waitMs = this.backoffMs();
      this.log.error({ service: this.name, reason, attempt: this.failuresInARow, retryInMs: waitMs }, 'service failed; restarting it');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      if (this.stopped) return;
      try {
        await this.startOnce();
        this.log.info({ service: this.name, attempt: this.failuresInARow }, 'service restarted');
        this.opts.onRestart?.({ service: this.name, attempt: this.failuresInARow, ok: true });
        return;
      } catch (err) {
        reason = (err as Error).message;
        this.opts.onRestart?.({ service: this.name, attempt: this.failuresInARow, ok: false, error: reason });
        try {
          await this.service.stop();
        } catch (stopErr) {
          this.log.error({ service: this.name, err: (stopErr as Error).message }, 'stopping the service after a failed restart failed');
        }
      }
    }
  }

  /** Stops supervising (a pending restart is abandoned) and stops the service. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.restarting;
    await this.service.stop();
  }
}
