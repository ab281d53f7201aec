// A stream's recording state and the decision that explains it (DescribeLiveStreamRecordStatus).
import type { RecordStatus } from '../types';
import { localTime } from '../time';

export function RecordingState({ status }: { status?: RecordStatus }) {
  const state = status?.hasActor ? status.state || 'unknown' : 'not recording';
  return <span class={`state state-${state.replace(/\s+/g, '-')}`} data-state={state}>{state}</span>;
}

export function DecisionSummary({ status }: { status?: RecordStatus }) {
  const d = status?.lastDecision;
  if (!d) return <span class="muted">no decision yet</span>;
  const formats = (d.formats ?? []).map((f) => `${f.format}${f.cycleDuration ? ` (${f.cycleDuration} s cycle)` : ''}`).join(', ');
  return (
    <span class="decision" data-reason={d.reason ?? ''}>
      <strong>{d.record ? 'record' : 'do not record'}</strong>: <code>{d.reason || 'unknown'}</code>
      {d.detail ? <> · {d.detail}</> : null}
      {d.configId ? <> · template <code>{d.configId}</code></> : null}
      {d.record ? <> · trigger {d.onDemand ?? 0}</> : null}
      {formats ? <> · {formats}</> : null}
      {d.decideTime ? <span class="muted"> · decided {localTime(d.decideTime)}</span> : null}
    </span>
  );
}
