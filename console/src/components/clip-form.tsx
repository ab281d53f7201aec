// A new m3u8 over the stored segments of the selected range
// (CreateLiveStreamRecordIndexFiles): a clip of one recording, or a merge of
// several with the breaks marked. The range is editable as RFC 3339 times.
import { useEffect, useState } from 'preact/hooks';
import { callApi } from '../api';
import type { RecordIndexInfo, StreamKey } from '../types';
import { isoSecond, stamp } from '../time';
import { ErrorLine, Field, errorFieldOf } from './common';
import type { Selection } from './timeline';

export interface ClipResult {
  recordInfo?: RecordIndexInfo;
  segmentCount?: number;
  discontinuityCount?: number;
}

function defaultName(stream: StreamKey, s: Selection): string {
  return `clips/${stream.appName}/${stream.streamName}/${stamp(s.startMs)}-${Math.round((s.endMs - s.startMs) / 1000)}s`;
}

export function ClipForm({ stream, selection, onSelection, onCreated }: { stream: StreamKey; selection: Selection; onSelection(s: Selection): void; onCreated(r: ClipResult): void }) {
  const [start, setStart] = useState(isoSecond(selection.startMs));
  const [end, setEnd] = useState(isoSecond(selection.endMs));
  const [name, setName] = useState(defaultName(stream, selection));
  const [bucket, setBucket] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errorField = errorFieldOf(error);

  // A new selection on the timeline rewrites the form.
  useEffect(() => {
    setStart(isoSecond(selection.startMs));
    setEnd(isoSecond(selection.endMs));
    setName(defaultName(stream, selection));
  }, [selection.startMs, selection.endMs]);

  // Typed times move the selection when they parse; the API judges them either way.
  const typed = (which: 'start' | 'end', v: string) => {
    if (which === 'start') setStart(v);
    else setEnd(v);
    const a = Date.parse(which === 'start' ? v : start);
    const b = Date.parse(which === 'end' ? v : end);
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) onSelection({ startMs: a, endMs: b });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await callApi<ClipResult>('CreateLiveStreamRecordIndexFiles', { ...stream, startTime: start, endTime: end, ossObject: name, ossBucket: bucket });
      onCreated(r);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="clip-form panel" aria-label="Clip" onSubmit={submit}>
      <h2>Clip or merge the selection</h2>
      <div class="row">
        <Field label="From (UTC)" name="start_time" errorField={errorField}><input name="start_time" value={start} onInput={(e) => typed('start', e.currentTarget.value)} /></Field>
        <Field label="To (UTC)" name="end_time" errorField={errorField}><input name="end_time" value={end} onInput={(e) => typed('end', e.currentTarget.value)} /></Field>
        <Field label="Object name" name="oss_object" errorField={errorField} hint=".m3u8 is added"><input name="oss_object" value={name} onInput={(e) => setName(e.currentTarget.value)} /></Field>
        <Field label="Bucket" name="oss_bucket" errorField={errorField} hint="empty: local storage"><input name="oss_bucket" value={bucket} onInput={(e) => setBucket(e.currentTarget.value)} /></Field>
      </div>
      <ErrorLine error={error} />
      <div class="actions"><button type="submit" disabled={busy}>Create clip</button></div>
    </form>
  );
}
