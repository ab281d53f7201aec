// One stream: why it is (or is not) recording and commands for its recording; its
// recordings in a time window on a timeline; a player; clips from a selected range;
// deletes. Refreshed every three seconds.
import { useState } from 'preact/hooks';
import { ApiError, callApi } from '../api';
import type { ContentRange, RecordIndexInfo, RecordStatus, StreamKey } from '../types';
import { isoTime } from '../time';
import { ClipForm, type ClipResult } from './clip-form';
import { ErrorLine, useLoader } from './common';
import { DecisionSummary, RecordingState } from './decision';
import { Player } from './player';
import { RecordTable } from './record-table';
import { Timeline, extentOf, type Selection } from './timeline';

const REFRESH_MS = 3000;
const WINDOWS = [
  { hours: 1, label: 'last hour' },
  { hours: 6, label: 'last 6 hours' },
  { hours: 24, label: 'last day' },
  { hours: 24 * 7, label: 'last week' },
  { hours: 24 * 30, label: 'last 30 days' },
];
/** Files listed per window; the catalogue pages beyond that. */
const MAX_FILES = 1000;

interface Recordings {
  ranges: ContentRange[];
  files: RecordIndexInfo[];
  totalFiles: number;
  window: { startMs: number; endMs: number };
}

export function StreamPage({ stream }: { stream: StreamKey }) {
  const [hours, setHours] = useState(24);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [playing, setPlaying] = useState<RecordIndexInfo | null>(null);
  const [clip, setClip] = useState<ClipResult | null>(null);

  const status = useLoader(async (): Promise<RecordStatus | null> => {
    try {
      return await callApi<RecordStatus>('DescribeLiveStreamRecordStatus', stream);
    } catch (err) {
      // A stream that never published has no status; its recordings may still be listed.
      if (err instanceof ApiError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }, [], REFRESH_MS);

  const recordings = useLoader(async (): Promise<Recordings> => {
    const endMs = Date.now() + 60_000;
    const startMs = endMs - hours * 3600_000;
    const range = { ...stream, startTime: isoTime(startMs), endTime: isoTime(endMs) };
    const [content, files] = await Promise.all([
      callApi<{ contentInfoList?: ContentRange[] }>('DescribeLiveStreamRecordContent', range),
      callApi<{ recordIndexInfoList?: RecordIndexInfo[]; totalNum?: number }>('DescribeLiveStreamRecordIndexFiles', { ...range, pageSize: MAX_FILES, order: 'desc' }),
    ]);
    return { ranges: content.contentInfoList ?? [], files: files.recordIndexInfoList ?? [], totalFiles: files.totalNum ?? 0, window: { startMs, endMs } };
  }, [hours], REFRESH_MS);

  const r = recordings.data;
  const span = r ? extentOf(r.ranges, r.files, r.window) : null;
  const label = `${stream.domainName}/${stream.appName}/${stream.streamName}`;

  return (
    <section class="stream-page" data-stream={label}>
      <h1>{label}</h1>
      <StatusPanel stream={stream} status={status.data} error={status.error} loaded={status.data !== null || !!status.error || !status.loading} onChanged={status.reload} />
      <div class="toolbar">
        <label>Window{' '}
          <select name="window" value={String(hours)} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {WINDOWS.map((w) => <option key={w.hours} value={String(w.hours)}>{w.label}</option>)}
          </select>
        </label>
        <button type="button" onClick={recordings.reload}>Refresh</button>
        <span class="muted">Drag across the timeline to select a range; click a band to select it whole.</span>
      </div>
      <ErrorLine error={recordings.error} />
      {r && span ? <Timeline ranges={r.ranges} files={r.files} span={span} selection={selection} onSelect={setSelection} /> : null}
      {selection ? (
        <ClipForm stream={stream} selection={selection} onSelection={setSelection} onCreated={(c) => {
          setClip(c);
          if (c.recordInfo) setPlaying(c.recordInfo);
          recordings.reload();
        }} />
      ) : null}
      {clip?.recordInfo ? (
        <p class="notice clip-created" role="status" data-record-id={clip.recordInfo.recordId}>
          Created <code>{clip.recordInfo.ossObject}</code>: {clip.segmentCount ?? 0} segments, {clip.discontinuityCount ?? 0} breaks.
        </p>
      ) : null}
      {playing ? <Player key={playing.recordId} stream={stream} record={playing} onClose={() => setPlaying(null)} /> : null}
      {r ? (
        <RecordTable stream={stream} files={r.files} playing={playing?.recordId ?? null} onPlay={setPlaying} onDeleted={(ids) => {
          if (playing && ids.includes(playing.recordId ?? '')) setPlaying(null);
          recordings.reload();
        }} />
      ) : null}
      {r && r.totalFiles > r.files.length ? <p class="muted">Showing the newest {r.files.length} of {r.totalFiles} files: choose a shorter window.</p> : null}
    </section>
  );
}

const COMMANDS = [
  { command: 'start', label: 'Start' },
  { command: 'stop', label: 'Stop' },
  { command: 'restart', label: 'New file now' },
  { command: 'cancel_delay', label: 'Finalize now' },
];

function StatusPanel({ stream, status, error, loaded, onChanged }: { stream: StreamKey; status: RecordStatus | null; error: unknown; loaded: boolean; onChanged(): void }) {
  const [commandError, setCommandError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<string | null>(null);
  const send = async (command: string) => {
    setCommandError(null);
    setAnswer(null);
    try {
      const r = await callApi<{ state?: string; recordingId?: string }>('RealTimeRecordCommand', { ...stream, command });
      setAnswer(`${command}: now ${r.state ?? 'unknown'}`);
      onChanged();
    } catch (err) {
      setCommandError(err);
    }
  };
  return (
    <section class="panel status" aria-label="Recording status">
      <ErrorLine error={error} />
      {loaded && !status && !error ? <p class="muted">This stream has never published (its recordings, if any, are below).</p> : null}
      {status ? (
        <>
          <p>Recording: <RecordingState status={status} />{status.recordingId ? <span class="muted"> · recording {status.recordingId}</span> : null}</p>
          <p>Decision: <DecisionSummary status={status} /></p>
          <div class="actions">
            {COMMANDS.map((c) => <button key={c.command} type="button" class="small" onClick={() => void send(c.command)}>{c.label}</button>)}
          </div>
        </>
      ) : null}
      {answer ? <p class="notice" role="status">{answer}</p> : null}
      <ErrorLine error={commandError} />
    </section>
  );
}
