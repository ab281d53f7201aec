// A stream's recorded content on a time axis: the content ranges (contiguous
// segments, DescribeLiveStreamRecordContent) as one band, each format's files below
// it. Dragging across it selects a time range (for a clip or a merge); a click on a
// band selects that range whole.
import { useRef, useState } from 'preact/hooks';
import type { ContentRange, RecordIndexInfo } from '../types';
import { localTime } from '../time';

export interface Selection {
  startMs: number;
  endMs: number;
}

interface Span {
  startMs: number;
  endMs: number;
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

/** The time span shown: what there is, with a margin; the query window when there is nothing. */
export function extentOf(ranges: ContentRange[], files: RecordIndexInfo[], fallback: Span): Span {
  const times = [...ranges, ...files].flatMap((r) => [ms(r.startTime), ms(r.endTime)]).filter(Number.isFinite);
  if (times.length === 0) return fallback;
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const margin = Math.max(5000, (hi - lo) * 0.05);
  return { startMs: lo - margin, endMs: hi + margin };
}

function ticks(span: Span): number[] {
  const width = span.endMs - span.startMs;
  const steps = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600, 24 * 3600].map((s) => s * 1000);
  const step = steps.find((s) => width / s <= 8) ?? steps[steps.length - 1];
  const out: number[] = [];
  for (let t = Math.ceil(span.startMs / step) * step; t <= span.endMs; t += step) out.push(t);
  return out;
}

export function Timeline({ ranges, files, span, selection, onSelect }: { ranges: ContentRange[]; files: RecordIndexInfo[]; span: Span; selection: Selection | null; onSelect(s: Selection | null): void }) {
  const track = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ fromMs: number; toMs: number; fromX: number } | null>(null);
  const width = span.endMs - span.startMs;
  const pct = (t: number) => `${(((t - span.startMs) / width) * 100).toFixed(3)}%`;
  const len = (a: number, b: number) => `${(((b - a) / width) * 100).toFixed(3)}%`;
  const timeAt = (clientX: number) => {
    const box = track.current!.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return span.startMs + f * width;
  };
  const formats = [...new Set(files.map((f) => f.format ?? ''))].sort();
  const shown = drag ? { startMs: Math.min(drag.fromMs, drag.toMs), endMs: Math.max(drag.fromMs, drag.toMs) } : selection;

  const down = (e: PointerEvent) => {
    if (e.button !== 0) return;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    const t = timeAt(e.clientX);
    setDrag({ fromMs: t, toMs: t, fromX: e.clientX });
  };
  const move = (e: PointerEvent) => {
    if (drag) setDrag({ ...drag, toMs: timeAt(e.clientX) });
  };
  const up = (e: PointerEvent) => {
    if (!drag) return;
    const t = timeAt(e.clientX);
    setDrag(null);
    if (Math.abs(e.clientX - drag.fromX) < 4) {
      // A click: the content range under it, or nothing.
      const hit = ranges.find((r) => ms(r.startTime) <= t && t <= ms(r.endTime));
      onSelect(hit ? { startMs: ms(hit.startTime), endMs: ms(hit.endTime) } : null);
      return;
    }
    onSelect({ startMs: Math.min(drag.fromMs, t), endMs: Math.max(drag.fromMs, t) });
  };

  return (
    <div class="timeline" aria-label="Timeline">
      <div class="track" ref={track} onPointerDown={down} onPointerMove={move} onPointerUp={up} onPointerCancel={() => setDrag(null)} data-start={span.startMs} data-end={span.endMs}>
        <div class="lane content-lane" title="recorded content">
          {ranges.map((r) => (
            <div key={r.startTime} class="bar content" style={{ left: pct(ms(r.startTime)), width: len(ms(r.startTime), ms(r.endTime)) }} title={`${localTime(r.startTime)} – ${localTime(r.endTime)}`} data-start={r.startTime} data-end={r.endTime} />
          ))}
        </div>
        {formats.map((format) => (
          <div class="lane file-lane" key={format}>
            <span class="lane-label">{format}</span>
            {files.filter((f) => (f.format ?? '') === format).map((f) => (
              <div key={f.recordId} class="bar file" style={{ left: pct(ms(f.startTime)), width: len(ms(f.startTime), ms(f.endTime)) }} title={`${f.ossObject}\n${localTime(f.startTime)} – ${localTime(f.endTime)}`} />
            ))}
          </div>
        ))}
        {shown ? <div class="selection" style={{ left: pct(shown.startMs), width: len(shown.startMs, shown.endMs) }} /> : null}
      </div>
      <div class="axis">
        {ticks(span).map((t) => <span key={t} class="tick" style={{ left: pct(t) }}>{localTime(new Date(t).toISOString()).slice(11)}</span>)}
      </div>
    </div>
  );
}
