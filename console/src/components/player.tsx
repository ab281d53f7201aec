// Plays one record: HLS playlists through hls.js (or the browser's own HLS where it
// has one), mp4 as a file. The URL is asked afresh (DescribeLiveStreamRecordIndexFile)
// so its signature is new even when the list is old.
import Hls from 'hls.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { callApi } from '../api';
import { playableUrl, playerKind } from '../playback';
import type { RecordIndexInfo, StreamKey } from '../types';
import { duration, localTime } from '../time';
import { ErrorLine } from './common';

export function Player({ stream, record, onClose }: { stream: StreamKey; record: RecordIndexInfo; onClose(): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [url, setUrl] = useState<string | null>(null);
  const kind = playerKind(record.format);

  useEffect(() => {
    let cancelled = false;
    let hls: Hls | null = null;
    setError(null);
    setUrl(null);
    (async () => {
      const fresh = await callApi<{ recordIndexInfo?: RecordIndexInfo }>('DescribeLiveStreamRecordIndexFile', { ...stream, recordId: record.recordId });
      if (cancelled) return;
      const src = playableUrl(fresh.recordIndexInfo ?? record);
      setUrl(src);
      const el = video.current;
      if (!el || kind === 'none') return;
      if (kind === 'hls' && Hls.isSupported()) {
        // No worker: the page's policy allows only its own scripts, and a console plays one file at a time.
        hls = new Hls({ enableWorker: false });
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (data.fatal) setError(new Error(`playback failed: ${data.type} ${data.details}`));
        });
        hls.loadSource(src);
        hls.attachMedia(el);
      } else {
        el.src = src;
      }
      // Muted, so the browser lets it start by itself; the controls unmute.
      el.muted = true;
      el.play().catch((err: Error) => {
        // Autoplay refused (a browser policy) is no failure: the controls start it.
        if (err.name !== 'NotAllowedError' && err.name !== 'AbortError') setError(err);
      });
    })().catch((err: unknown) => {
      if (!cancelled) setError(err);
    });
    return () => {
      cancelled = true;
      hls?.destroy();
    };
  }, [record.recordId]);

  return (
    <section class="player panel" aria-label="Player" data-record-id={record.recordId}>
      <h2>
        Playing <code>{record.ossObject}</code> <button type="button" class="small" onClick={onClose}>Close</button>
      </h2>
      <p class="muted">{record.format} · {localTime(record.startTime)} – {localTime(record.endTime)} · {duration(record.duration)}</p>
      {kind === 'none' ? (
        <p class="notice">Browsers cannot play {record.format} files. {url ? <a href={url} download>Download it</a> : null}</p>
      ) : (
        <video ref={video} controls playsInline class="video" />
      )}
      <ErrorLine error={error} />
    </section>
  );
}
