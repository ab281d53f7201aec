// Live streams (and, on request, recently ended ones) with their recording state and
// the decision that explains it; refreshed every two seconds.
import { useState } from 'preact/hooks';
import { callApi } from '../api';
import { routeHref } from '../route';
import type { ListLiveStreamsResponse, LiveStream } from '../types';
import { localTime } from '../time';
import { ErrorLine, useLoader } from './common';
import { DecisionSummary, RecordingState } from './decision';

const REFRESH_MS = 2000;

function codecs(s: LiveStream): string {
  const c = s.codecs;
  const video = c.video ? `${c.video}${c.width ? ` ${c.width}x${c.height}` : ''}${c.fps ? ` ${Math.round(c.fps)} fps` : ''}` : 'no video';
  return `${video}, ${c.audio || 'no audio'}`;
}

export function StreamsPage() {
  const [domain, setDomain] = useState('');
  const [includeEnded, setIncludeEnded] = useState(true);
  const list = useLoader(() => callApi<ListLiveStreamsResponse>('ListLiveStreams', { domainName: domain.trim(), includeEnded }), [domain, includeEnded], REFRESH_MS);
  const streams = list.data?.streams ?? [];
  return (
    <section>
      <h1>Streams</h1>
      <div class="toolbar">
        <label>Domain <input name="filter_domain" value={domain} placeholder="every domain" onChange={(e) => setDomain(e.currentTarget.value)} /></label>
        <label><input type="checkbox" name="include_ended" checked={includeEnded} onChange={(e) => setIncludeEnded(e.currentTarget.checked)} /> also ended streams</label>
        <button type="button" onClick={list.reload}>Refresh</button>
        {list.data && !list.data.complete ? <span class="notice">still reading the event log: the list may be incomplete</span> : null}
      </div>
      <ErrorLine error={list.error} />
      <table class="streams">
        <thead>
          <tr><th>Stream</th><th>Publisher</th><th>Media</th><th>Recording</th><th>Decision</th></tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr key={`${s.domainName}/${s.appName}/${s.streamName}`} data-stream={`${s.domainName}/${s.appName}/${s.streamName}`} data-live={String(s.live)}>
              <td><a href={routeHref({ page: 'stream', stream: s })}>{s.domainName}/{s.appName}/{s.streamName}</a></td>
              <td>{s.live ? <span class="badge live">live</span> : <span class="badge">ended {localTime(s.unpublishTime)}</span>}<div class="muted">since {localTime(s.publishTime)}</div></td>
              <td>{codecs(s)}</td>
              <td>{s.statusError ? <span class="error">{s.statusError}</span> : <RecordingState status={s.status} />}</td>
              <td><DecisionSummary status={s.status} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && streams.length === 0 ? <p class="muted">No streams{includeEnded ? '' : ' live'}{domain ? ` in ${domain}` : ''}. Push one with <code>ffmpeg -re -i input.mp4 -c copy -f flv rtmp://host/live/demo</code>.</p> : null}
      {list.data && list.data.totalNum > streams.length ? <p class="muted">Showing {streams.length} of {list.data.totalNum}.</p> : null}
      <OpenStream />
    </section>
  );
}

/** Any stream by name, for the recordings of one that is not in the list any more. */
function OpenStream() {
  const [d, setD] = useState('localhost');
  const [a, setA] = useState('');
  const [s, setS] = useState('');
  return (
    <form class="open-stream" onSubmit={(e) => { e.preventDefault(); window.location.hash = routeHref({ page: 'stream', stream: { domainName: d.trim(), appName: a.trim(), streamName: s.trim() } }); }}>
      <h2>Recordings of a stream</h2>
      <input name="open_domain" value={d} onInput={(e) => setD(e.currentTarget.value)} placeholder="domain" required />
      <input name="open_app" value={a} onInput={(e) => setA(e.currentTarget.value)} placeholder="app" required />
      <input name="open_stream" value={s} onInput={(e) => setS(e.currentTarget.value)} placeholder="stream" required />
      <button type="submit">Open</button>
    </form>
  );
}
