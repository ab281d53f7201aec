// Small pieces every page uses: an error line, a polling loader, a labelled field.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.code}: ${error.message}` : String((error as Error).message ?? error);
  return <p class="error" role="alert">{text}</p>;
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads with `load` now, again when `deps` change, and every `everyMs` while the page
 * shows (0: no polling). A newer load wins over an older one that answers late.
 */
export function useLoader<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(err);
        setLoading(false);
      },
    );
    // The caller's deps decide when `load` means something new (as with useEffect).
  }, deps);
  useEffect(() => {
    setData(null);
    run();
    if (!everyMs) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, everyMs);
    return () => clearInterval(timer);
  }, [run, everyMs]);
  return { data, error, loading, reload: run };
}

/** A labelled input; `errorField` is the field the last API error named, and this one is marked when it is the one. */
export function Field({ label, name, children, hint, errorField }: { label: string; name: string; children: ComponentChildren; hint?: string; errorField?: string | null }) {
  return (
    <label class={errorField === name ? 'field invalid' : 'field'} data-field={name}>
      <span class="label">{label}</span>
      {children}
      {hint ? <span class="hint">{hint}</span> : null}
    </label>
  );
}

/** The request field an API error names (proto path, matching a Field's name), if any. */
export function errorFieldOf(error: unknown): string | null {
  return error instanceof ApiError ? error.field : null;
}

/** A button that asks once more before doing something that cannot be undone. */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled }: { label: string; confirmLabel: string; onConfirm(): void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" class="danger" disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  return (
    <span class="confirm">
      <button type="button" class="danger" onClick={() => { setAsking(false); onConfirm(); }}>{confirmLabel}</button>
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
