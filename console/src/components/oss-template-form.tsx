// Create or edit an object-storage template (AddLiveAppRecordConfig / UpdateLiveAppRecordConfig).
// Values go to the API as typed: its validation answers, naming the field, and the
// field is marked here.
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { TRIGGER_MODES, type LiveAppRecord, type RecordFormat } from '../types';
import { ErrorLine, Field, errorFieldOf } from './common';

interface FormatDraft {
  format: string;
  sliceDuration: string;
  cycleDuration: string;
  ossObjectPrefix: string;
  sliceOssObjectPrefix: string;
}

const FORMATS = ['m3u8', 'cmaf', 'flv', 'mp4'];

function draftOf(f: RecordFormat): FormatDraft {
  return {
    format: f.format ?? 'm3u8', sliceDuration: f.sliceDuration ? String(f.sliceDuration) : '', cycleDuration: f.cycleDuration ? String(f.cycleDuration) : '',
    ossObjectPrefix: f.ossObjectPrefix ?? '', sliceOssObjectPrefix: f.sliceOssObjectPrefix ?? '',
  };
}

/** '' is "the default" (the field left out); anything else is sent as the number typed. */
function num(v: string): number | undefined {
  return v.trim() === '' ? undefined : Number(v);
}

export function OssTemplateForm({ domain, editing, onDone }: { domain: string; editing: LiveAppRecord | null; onDone(saved: boolean): void }) {
  const [d, setD] = useState({
    domainName: editing?.domainName ?? domain, appName: editing?.appName ?? '*', streamName: editing?.streamName ?? '*',
    ossBucket: editing?.ossBucket ?? '', ossEndpoint: editing?.ossEndpoint ?? '', onDemand: String(editing?.onDemand ?? 0),
    delayTime: editing?.delayTime ? String(editing.delayTime) : '', transcodeTemplates: (editing?.transcodeTemplates ?? []).join(', '),
  });
  const [formats, setFormats] = useState<FormatDraft[]>(() => (editing?.recordFormat?.length ? editing.recordFormat.map(draftOf) : [draftOf({ format: 'm3u8' })]));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errorField = errorFieldOf(error);
  const set = (k: keyof typeof d) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const setFormat = (i: number, k: keyof FormatDraft, v: string) => setFormats(formats.map((f, j) => (j === i ? { ...f, [k]: v } : f)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const request = {
      domainName: d.domainName, appName: d.appName, streamName: d.streamName, ossBucket: d.ossBucket, ossEndpoint: d.ossEndpoint,
      onDemand: Number(d.onDemand), delayTime: num(d.delayTime),
      recordFormat: formats.map((f) => ({
        format: f.format, sliceDuration: num(f.sliceDuration), cycleDuration: num(f.cycleDuration),
        ossObjectPrefix: f.ossObjectPrefix, sliceOssObjectPrefix: f.sliceOssObjectPrefix,
      })),
      transcodeTemplates: d.transcodeTemplates.split(',').map((t) => t.trim()).filter(Boolean),
      // Not edited here: an update keeps the template's transcoded renditions as they are.
      transcodeRecordFormat: editing?.transcodeRecordFormat ?? [],
    };
    try {
      await callApi(editing ? 'UpdateLiveAppRecordConfig' : 'AddLiveAppRecordConfig', request);
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="template-form" aria-label={editing ? 'Edit object-storage template' : 'New object-storage template'} onSubmit={submit}>
      <h3>{editing ? `Edit ${editing.domainName}/${editing.appName}/${editing.streamName}` : 'New object-storage template'}</h3>
      <div class="row">
        <Field label="Domain" name="domain_name" errorField={errorField}><input name="domain_name" value={d.domainName} onInput={set('domainName')} disabled={!!editing} /></Field>
        <Field label="App" name="app_name" errorField={errorField} hint="* for every app"><input name="app_name" value={d.appName} onInput={set('appName')} disabled={!!editing} /></Field>
        <Field label="Stream" name="stream_name" errorField={errorField} hint="* for every stream"><input name="stream_name" value={d.streamName} onInput={set('streamName')} disabled={!!editing} /></Field>
      </div>
      <div class="row">
        <Field label="Bucket" name="oss_bucket" errorField={errorField} hint="empty: local storage"><input name="oss_bucket" value={d.ossBucket} onInput={set('ossBucket')} /></Field>
        <Field label="Endpoint" name="oss_endpoint" errorField={errorField} hint="empty: LR_S3_ENDPOINT"><input name="oss_endpoint" value={d.ossEndpoint} onInput={set('ossEndpoint')} /></Field>
        <Field label="Trigger" name="on_demand" errorField={errorField}>
          <select name="on_demand" value={d.onDemand} onChange={set('onDemand')}>
            {TRIGGER_MODES.map((m) => <option key={m.value} value={String(m.value)}>{m.label}</option>)}
          </select>
        </Field>
        <Field label="Reconnect window (s)" name="delay_time" errorField={errorField} hint="empty: 180"><input name="delay_time" type="number" value={d.delayTime} onInput={set('delayTime')} /></Field>
      </div>
      <fieldset>
        <legend>Formats</legend>
        {formats.map((f, i) => (
          <div class="row format-row" key={i} data-format-row={i}>
            <Field label="Format" name={`record_format[${i}].format`} errorField={errorField}>
              <select name={`record_format[${i}].format`} value={f.format} onChange={(e) => setFormat(i, 'format', e.currentTarget.value)}>
                {FORMATS.map((x) => <option key={x} value={x}>{x}</option>)}
              </select>
            </Field>
            <Field label="Segment (s)" name={`record_format[${i}].slice_duration`} errorField={errorField} hint="m3u8/cmaf; empty: 30">
              <input name={`record_format[${i}].slice_duration`} type="number" value={f.sliceDuration} onInput={(e) => setFormat(i, 'sliceDuration', e.currentTarget.value)} />
            </Field>
            <Field label="Cycle (s)" name={`record_format[${i}].cycle_duration`} errorField={errorField} hint="empty: 10800">
              <input name={`record_format[${i}].cycle_duration`} type="number" value={f.cycleDuration} onInput={(e) => setFormat(i, 'cycleDuration', e.currentTarget.value)} />
            </Field>
            <Field label="File name pattern" name={`record_format[${i}].oss_object_prefix`} errorField={errorField} hint="empty: default naming">
              <input name={`record_format[${i}].oss_object_prefix`} value={f.ossObjectPrefix} onInput={(e) => setFormat(i, 'ossObjectPrefix', e.currentTarget.value)} />
            </Field>
            <Field label="Segment name pattern" name={`record_format[${i}].slice_oss_object_prefix`} errorField={errorField}>
              <input name={`record_format[${i}].slice_oss_object_prefix`} value={f.sliceOssObjectPrefix} onInput={(e) => setFormat(i, 'sliceOssObjectPrefix', e.currentTarget.value)} />
            </Field>
            <button type="button" class="small" disabled={formats.length === 1} onClick={() => setFormats(formats.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type="button" class="small" onClick={() => setFormats([...formats, draftOf({ format: 'flv' })])}>Add a format</button>
      </fieldset>
      <Field label="Transcoding templates" name="transcode_templates" errorField={errorField} hint="comma-separated ids (stored; this deployment has no transcoder)">
        <input name="transcode_templates" value={d.transcodeTemplates} onInput={set('transcodeTemplates')} />
      </Field>
      {editing?.transcodeRecordFormat?.length ? <p class="muted">Transcoded formats ({editing.transcodeRecordFormat.map((f) => f.format).join(', ')}) are kept as they are (the CLI edits them).</p> : null}
      <ErrorLine error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>{editing ? 'Save' : 'Create'}</button>
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  );
}
