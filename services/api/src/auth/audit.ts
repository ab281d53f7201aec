import { SUBJECTS, publishDurable, type Bus } from '../../../../libs/bus/index.js';
import type { Logger } from '../../../../libs/telemetry/index.js';

export interface AuditEvent {
  method: string;
  /** Id of the API key that made the call ('' when the call had no valid key). */
  keyId: string;
  /** gRPC status name of the outcome: OK, PERMISSION_DENIED... */
  outcome: string;
  at: number;
}

/** The audit trail of mutating calls: a log line and an event on lr.evt.api.audit (30 days in LR_EVENTS). */
export function audit(bus: Bus, log: Logger, ev: AuditEvent): void {
  log.info({ audit: true, method: ev.method, keyId: ev.keyId, outcome: ev.outcome }, 'api call');
  publishDurable(bus, SUBJECTS.apiAudit, ev).catch((err: unknown) => {
    log.error({ method: ev.method, keyId: ev.keyId, err: (err as Error).message }, 'could not publish an audit event');
  });
}
