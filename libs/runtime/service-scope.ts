import { AsyncLocalStorage } from 'node:async_hooks';

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
 * gone): its host stops and restarts it. False when called outside a hosted service.
 */
export function reportServiceFailure(err: unknown): boolean {
  const scope = currentScope();
  scope?.fail(err);
  return !!scope;
}
