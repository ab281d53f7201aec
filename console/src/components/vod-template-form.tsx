// Create or edit a media-library template. The API has AddLiveRecordVodConfig and
// DeleteLiveRecordVodConfig but no update, so an edit deletes and adds again, and
// puts the old template back if the new one is refused.
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import { TRIGGER_MODES, type LiveRecordVodConfig, type VodRecordFormat } from '../types';
import { ErrorLine, Field, errorFieldOf } from './common';

interface FormatDraft {
  format: string;
  sliceDuration: string;
  autoCompose: boolean;
  videoProcess: string;
  processMethod: string;
  processTemplateId: string;
  category: string;
  tags: string;
}

const list = (v: string) => v.split(',').map((t) => t.trim()).filter(Boolean);
const num = (v: string) => (v.trim() === '' ? undefined : Number(v));

function draftOf(f: VodRecordFormat): FormatDraft {
  return {
    format: f.format ?? 'm3u8', sliceDuration: f.sliceDuration ? String(f.sliceDuration) : '', autoCompose: !!f.autoCompose,
    videoProcess: (f.videoProcess ?? []).join(', '), processMethod: f.processMethod ?? '', processTemplateId: f.processTemplateId ?? '',
    category: f.category ?? '', tags: (f.tags ?? []).join(', '),
  };
}

/** The add request that recreates a listed template (used to restore it after a refused edit). */
export function vodRequestOf(c: LiveRecordVodConfig): object {
  const { configId: _id, createTime: _created, ...request } = c;
  return request;
}

export function VodTemplateForm({ domain, editing, onDone }: { domain: string; editing: LiveRecordVodConfig | null; onDone(saved: boolean): void }) {
  const [d, setD] = useState({
    domainName: editing?.domainName ?? domain, appName: editing?.appName ?? '*', streamName: editing?.streamName ?? '*',
    spaceId: editing?.spaceId ?? '', storageLocation: editing?.storageLocation ?? '', onDemand: String(editing?.onDemand ?? 0),
    cycleDuration: editing?.cycleDuration ? String(editing.cycleDuration) : '', delayTime: editing?.delayTime ? String(editing.delayTime) : '',
    recordContent: (editing?.recordContent ?? ['raw']).join(', '), transcodeTemplates: (editing?.transcodeTemplates ?? []).join(', '),
  });
  const [formats, setFormats] = useState<FormatDraft[]>(() => (editing?.recordFormat?.length ? editing.recordFormat.map(draftOf) : [draftOf({ format: 'm3u8' })]));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const errorField = errorFieldOf(error);
  const set = (k: keyof typeof d) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const setFormat = <K extends keyof FormatDraft>(i: number, k: K, v: FormatDraft[K]) => setFormats(formats.map((f, j) => (j === i ? { ...f, [k]: v } : f)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const request = {
      domainName: d.domainName, appName: d.appName, streamName: d.streamName, spaceId: d.spaceId, storageLocation: d.storageLocation,
      onDemand: Number(d.onDemand), cycleDuration: num(d.cycleDuration), delayTime: num(d.delayTime),
      recordContent: list(d.recordContent), transcodeTemplates: list(d.transcodeTemplates),
      recordFormat: formats.map((f) => ({
        format: f.format, sliceDuration: num(f.sliceDuration), autoCompose: f.autoCompose, videoProcess: list(f.videoProcess),
        processMethod: f.processMethod, processTemplateId: f.processTemplateId, category: f.category, tags: list(f.tags),
      })),
    };
    try {
      if (editing) {
        const key = { domainName: editing.domainName, appName: editing.appName, streamName: editing.streamName };
        await callApi('DeleteLiveRecordVodConfig', key);
        try {
          await callApi('AddLiveRecordVodConfig', request);
        } catch (err) {
          // The new version was refused: the old one goes back, and the form shows why.
          await callApi('AddLiveRecordVodConfig', vodRequestOf(editing)).catch((restoreErr: unknown) => {
            throw new ApiError((restoreErr as ApiError).code ?? 'INTERNAL', `${(err as Error).message} (and the previous template could not be restored: ${(restoreErr as Error).message})`);
          });
          throw err;
        }
      } else {
        await callApi('AddLiveRecordVodConfig', request);
      }
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="template-form" aria-label={editing ? 'Edit media-library template' : 'New media-library template'} onSubmit={submit}>
      <h3>{editing ? `Edit ${editing.domainName}/${editing.appName}/${editing.streamName}` : 'New media-library template'}</h3>
      {editing ? <p class="muted">The API has no update for media-library templates: saving deletes this one and adds the new version (the old one is put back if the new one is refused).</p> : null}
      <div class="row">
        <Field label="Domain" name="domain_name" errorField={errorField}><input name="domain_name" value={d.domainName} onInput={set('domainName')} disabled={!!editing} /></Field>
        <Field label="App" name="app_name" errorField={errorField}><input name="app_name" value={d.appName} onInput={set('appName')} disabled={!!editing} /></Field>
        <Field label="Stream" name="stream_name" errorField={errorField}><input name="stream_name" value={d.streamName} onInput={set('streamName')} disabled={!!editing} /></Field>
      </div>
      <div class="row">
        <Field label="Space id" name="space_id" errorField={errorField}><input name="space_id" value={d.spaceId} onInput={set('spaceId')} /></Field>
        <Field label="Storage location" name="storage_location" errorField={errorField}><input name="storage_location" value={d.storageLocation} onInput={set('storageLocation')} /></Field>
        <Field label="Trigger" name="on_demand" errorField={errorField}>
          <select name="on_demand" value={d.onDemand} onChange={set('onDemand')}>
            {TRIGGER_MODES.map((m) => <option key={m.value} value={String(m.value)}>{m.label}</option>)}
          </select>
        </Field>
        <Field label="Cycle (s)" name="cycle_duration" errorField={errorField}><input name="cycle_duration" type="number" value={d.cycleDuration} onInput={set('cycleDuration')} /></Field>
        <Field label="Reconnect window (s)" name="delay_time" errorField={errorField}><input name="delay_time" type="number" value={d.delayTime} onInput={set('delayTime')} /></Field>
      </div>
      <div class="row">
        <Field label="Content" name="record_content" errorField={errorField} hint="raw, transcode"><input name="record_content" value={d.recordContent} onInput={set('recordContent')} /></Field>
        <Field label="Transcoding templates" name="transcode_templates" errorField={errorField}><input name="transcode_templates" value={d.transcodeTemplates} onInput={set('transcodeTemplates')} /></Field>
      </div>
      <fieldset>
        <legend>Formats</legend>
        {formats.map((f, i) => (
          <div class="row format-row" key={i}>
            <Field label="Format" name={`record_format[${i}].format`} errorField={errorField}>
              <select name={`record_format[${i}].format`} value={f.format} onChange={(e) => setFormat(i, 'format', e.currentTarget.value)}>
                {['m3u8', 'flv', 'mp4'].map((x) => <option key={x} value={x}>{x}</option>)}
              </select>
            </Field>
            <Field label="Segment (s)" name={`record_format[${i}].slice_duration`} errorField={errorField}>
              <input name={`record_format[${i}].slice_duration`} type="number" value={f.sliceDuration} onInput={(e) => setFormat(i, 'sliceDuration', e.currentTarget.value)} />
            </Field>
            <Field label="Auto compose" name={`record_format[${i}].auto_compose`} errorField={errorField}>
              <input type="checkbox" name={`record_format[${i}].auto_compose`} checked={f.autoCompose} onChange={(e) => setFormat(i, 'autoCompose', e.currentTarget.checked)} />
            </Field>
            <Field label="Video process" name={`record_format[${i}].video_process`} errorField={errorField} hint="origin, compose">
              <input name={`record_format[${i}].video_process`} value={f.videoProcess} onInput={(e) => setFormat(i, 'videoProcess', e.currentTarget.value)} />
            </Field>
            <Field label="Process method" name={`record_format[${i}].process_method`} errorField={errorField} hint="transcode, workflow">
              <input name={`record_format[${i}].process_method`} value={f.processMethod} onInput={(e) => setFormat(i, 'processMethod', e.currentTarget.value)} />
            </Field>
            <Field label="Process template" name={`record_format[${i}].process_template_id`} errorField={errorField}>
              <input name={`record_format[${i}].process_template_id`} value={f.processTemplateId} onInput={(e) => setFormat(i, 'processTemplateId', e.currentTarget.value)} />
            </Field>
            <Field label="Category" name={`record_format[${i}].category`} errorField={errorField}>
              <input name={`record_format[${i}].category`} value={f.category} onInput={(e) => setFormat(i, 'category', e.currentTarget.value)} />
            </Field>
            <Field label="Tags" name={`record_format[${i}].tags`} errorField={errorField}>
              <input name={`record_format[${i}].tags`} value={f.tags} onInput={(e) => setFormat(i, 'tags', e.currentTarget.value)} />
            </Field>
            <button type="button" class="small" disabled={formats.length === 1} onClick={() => setFormats(formats.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type="button" class="small" onClick={() => setFormats([...formats, draftOf({ format: 'flv' })])}>Add a format</button>
      </fieldset>
      <ErrorLine error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>{editing ? 'Save' : 'Create'}</button>
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  );
}
