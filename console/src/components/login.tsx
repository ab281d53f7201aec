// Sign-in: the API key is checked with one read before it is kept.
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { saveKey } from '../session';
import { ErrorLine } from './common';

export function Login({ onSignedIn, reason }: { onSignedIn(key: string): void; reason?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    try {
      // Any read will do: a wrong key is UNAUTHENTICATED before anything else is looked at.
      await callApi('ListLiveStreams', {}, k);
      saveKey(k);
      onSignedIn(k);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>liverecord console</h1>
      {/* POST: were the handler ever not to run, a browser's own submit must not put the key in a URL (GET would). */}
      <form method="post" onSubmit={submit} aria-label="Sign in">
        {reason ? <p class="notice">{reason}</p> : null}
        <label class="field">
          <span class="label">API key</span>
          <input type="password" name="api_key" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="lrk_…" required />
          <span class="hint">A read key can look; templates, clips and deletes need write. The first start wrote an admin key to data/admin.key; <code>npx liverecord console</code> prints a link that signs in.</span>
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
        <ErrorLine error={error} />
      </form>
    </main>
  );
}
