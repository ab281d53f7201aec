// A domain's recording callbacks (AddLiveRecordNotifyConfig saves them whole, so it
// both creates and edits; the auth key is never shown, only whether one is set).
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import type { NotifyConfig } from '../types';
import { ErrorLine, Field, errorFieldOf } from './common';

export function NotifyForm({ domain, current, onDone }: { domain: string; current: NotifyConfig | null; onDone(saved: boolean): void }) {
  const [d, setD] = useState({ notifyUrl: current?.notifyUrl ?? '', onDemandUrl: current?.onDemandUrl ?? '', needStatusNotify: !!current?.needStatusNotify, authKey: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errorField = errorFieldOf(error);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await callApi('AddLiveRecordNotifyConfig', { domainName: domain, notifyUrl: d.notifyUrl, onDemandUrl: d.onDemandUrl, needStatusNotify: d.needStatusNotify, authKey: d.authKey });
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="template-form" aria-label="Callbacks" onSubmit={submit}>
      <h3>Callbacks of {domain}</h3>
      <Field label="File callback URL" name="notify_url" errorField={errorField} hint="POSTed for every stored file">
        <input name="notify_url" value={d.notifyUrl} onInput={(e) => setD({ ...d, notifyUrl: e.currentTarget.value })} />
      </Field>
      <Field label="On-demand URL" name="on_demand_url" errorField={errorField} hint="asked before recording when the trigger is 1">
        <input name="on_demand_url" value={d.onDemandUrl} onInput={(e) => setD({ ...d, onDemandUrl: e.currentTarget.value })} />
      </Field>
      <Field label="Status callbacks" name="need_status_notify" errorField={errorField} hint="record_started, record_paused, record_resumed">
        <input type="checkbox" name="need_status_notify" checked={d.needStatusNotify} onChange={(e) => setD({ ...d, needStatusNotify: e.currentTarget.checked })} />
      </Field>
      <Field label="Signing key" name="auth_key" errorField={errorField} hint={current?.authKeySet ? 'a key is set: saving with this empty removes it (keys are never shown)' : 'optional, at least 8 characters: callbacks are then signed'}>
        <input type="password" name="auth_key" autocomplete="off" value={d.authKey} onInput={(e) => setD({ ...d, authKey: e.currentTarget.value })} />
      </Field>
      <ErrorLine error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>Save</button>
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  );
}
