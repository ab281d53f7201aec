// A stream's files in the shown window: play any, delete one or several (the
// catalogue record, and with "also the stored files" the objects as well).
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import type { RecordIndexInfo, StreamKey } from '../types';
import { duration, localTime } from '../time';
import { ConfirmButton, ErrorLine } from './common';

interface DeleteResult {
  recordDeleteInfoList?: { recordId?: string; message?: string }[];
  deletedObjects?: number;
}

export function RecordTable({ stream, files, playing, onPlay, onDeleted }: { stream: StreamKey; files: RecordIndexInfo[]; playing: string | null; onPlay(r: RecordIndexInfo): void; onDeleted(ids: string[]): void }) {
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [removeFiles, setRemoveFiles] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<string | null>(null);

  const remove = async (ids: string[]) => {
    setError(null);
    setOutcome(null);
    try {
      const r = await callApi<DeleteResult>('DeleteLiveStreamRecordIndexFiles', { ...stream, recordId: ids, removeFile: removeFiles });
      const results = r.recordDeleteInfoList ?? [];
      setOutcome(`${results.map((x) => `${x.recordId}: ${x.message ?? 'OK'}`).join('; ')}${removeFiles ? ` · ${r.deletedObjects ?? 0} stored objects deleted` : ''}`);
      setChosen(new Set());
      onDeleted(ids);
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };

  return (
    <section class="panel" aria-label="Records">
      <h2>Files</h2>
      <div class="toolbar">
        <label><input type="checkbox" name="remove_file" checked={removeFiles} onChange={(e) => setRemoveFiles(e.currentTarget.checked)} /> deleting also deletes the stored files</label>
        <ConfirmButton label={`Delete selected (${chosen.size})`} confirmLabel="Delete them" disabled={chosen.size === 0} onConfirm={() => void remove([...chosen])} />
      </div>
      <ErrorLine error={error} />
      {outcome ? <p class="notice" role="status">Deleted: {outcome}</p> : null}
      <table class="records">
        <thead><tr><th /><th>Format</th><th>Start</th><th>End</th><th>Length</th><th>Size</th><th>Object</th><th /></tr></thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.recordId} data-record-id={f.recordId} data-object={f.ossObject} class={playing === f.recordId ? 'playing' : ''}>
              <td><input type="checkbox" aria-label={`select ${f.recordId}`} checked={chosen.has(f.recordId ?? '')} onChange={() => toggle(f.recordId ?? '')} /></td>
              <td>{f.format}</td>
              <td>{localTime(f.startTime)}</td>
              <td>{localTime(f.endTime)}</td>
              <td>{duration(f.duration)}</td>
              <td>{f.width ? `${f.width}x${f.height}` : ''}</td>
              <td><code>{f.ossBucket ? `${f.ossBucket}:` : ''}{f.ossObject}</code></td>
              <td class="actions">
                <button type="button" class="small" onClick={() => onPlay(f)}>Play</button>
                <ConfirmButton label="Delete" confirmLabel="Delete record" onConfirm={() => void remove([f.recordId ?? ''])} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {files.length === 0 ? <p class="muted">No files in this window.</p> : null}
    </section>
  );
}
