import type { Counter } from '@opentelemetry/api';
import { componentLogger, meter } from '../telemetry/index.js';
import { currentScope } from './service-scope.js';

/** What the process reports about an error no handler caught (event `lr.evt.process.error`). */
export interface EscapedError {
  kind: 'uncaught_exception' | 'unhandled_rejection';
  /** The hosted service the failing work belonged to; null when it cannot be told. */
  service: string | null;
  message: string;
  stack: string;
  pid: number;
  at: number;
}

type Sink = (e: EscapedError) => Promise<void>;

let installed = false;
let sink: Sink | null = null;
let counter: Counter | null = null;
const observers = new Set<(e: EscapedError) => void>();

/**
 * Keeps the process alive when an error escapes every handler: one bad input
 * must not stop every service of the process. The error is logged, counted
 * (`liverecord_escaped_errors_total`), published when a sink is set, and the
 * service whose work it was (see service-scope.ts) is told, so that its host
 * restarts it in a known state. Installed once per process; later calls do nothing.
 */
export function catchEscapedErrors(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err) => onEscaped('uncaught_exception', err));
  process.on('unhandledRejection', (reason) => onEscaped('unhandled_rejection', reason));
}

/** Where escaped errors are published (the host sets the bus once connected; null while it has none). */
export function publishEscapedErrorsTo(s: Sink | null): void {
  sink = s;
}

/** Observes escaped errors (tests, diagnostics); returns the function that stops observing. */
export function observeEscapedErrors(fn: (e: EscapedError) => void): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

function onEscaped(kind: EscapedError['kind'], reason: unknown): void {
  const scope = currentScope();
  const err = reason instanceof Error ? reason : new Error(`non-error value: ${String(reason)}`);
  const e: EscapedError = { kind, service: scope?.service ?? null, message: err.message, stack: err.stack ?? '', pid: process.pid, at: Date.now() };
  const log = componentLogger('process');
  log.error({ kind, service: e.service, err: e.message, stack: e.stack }, 'an error escaped every handler; the process continues');
  (counter ??= meter('process').createCounter('liverecord_escaped_errors_total', { description: 'Errors that escaped every handler, by kind and service' }))
    .add(1, { kind, service: e.service ?? 'unknown' });
  for (const fn of observers) fn(e);
  sink?.(e).catch((pubErr: unknown) => log.error({ err: (pubErr as Error).message }, 'could not publish the escaped error'));
  scope?.fail(err);
}
