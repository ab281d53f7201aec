import { AsyncLocalStorage } from 'node:async_hooks';
import { componentLogger } from '../telemetry/index.js';

/**
 * The hosted service a piece of work belongs to. Everything a service starts
 * (timers, loops, subscriptions bound with AsyncResource.bind) runs inside the
 * scope its host opened around start(), so an error escaping that work can be
 * traced back to the service and the service alone restarted.
 */
export interface ServiceScope {
  readonly service: string;
  /** Which start of the service this is (1 = the first); work left over from an earlier one is not restarted for. */
  readonly incarnation: number;
  fail(err: unknown): void;
}

const scopes = new AsyncLocalStorage<ServiceScope>();

export function runInScope<T>(scope: ServiceScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

export function currentScope(): ServiceScope | undefined {
  return scopes.getStore();
}

/**
 * For a service that finds it can no longer work (a loop ended, a resource is
 * gone): its host stops and restarts it. Call it from the service's own work
 * (anything started by its start(); a NATS callback only when bound with
 * AsyncResource.bind). Outside a hosted service nothing can be restarted: that
 * is logged, and the answer is false.
 */
export function reportServiceFailure(err: unknown): boolean {
  const scope = currentScope();
  if (!scope) {
    componentLogger('supervisor').error({ err: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack }, 'a failure was reported outside any hosted service; nothing is restarted');
    return false;
  }
  scope.fail(err);
  return true;
}
