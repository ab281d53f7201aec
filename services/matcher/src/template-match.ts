// Which template applies to a stream, and what it means for one publish. Pure.
import type { IngestPublished, RecordTemplate, RecordingPlan, StreamRef } from '../../../libs/bus/index.js';
import { DEFAULT_SEGMENT_PATTERN } from '../../../libs/naming/index.js';

/**
 * Priority: (domain, app, stream) > (domain, app, *) > (domain, *, *). A template
 * naming a stream under app * is accepted as (domain, *, stream), ranked between
 * (domain, app, *) and (domain, *, *): an exact app always beats a wildcard app.
 */
export function templateRank(t: Pick<RecordTemplate, 'domain' | 'app' | 'stream'>, s: StreamRef): number {
  if (t.domain !== s.domain) return 0;
  const appExact = t.app === s.app;
  const streamExact = t.stream === s.stream;
  if (!appExact && t.app !== '*') return 0;
  if (!streamExact && t.stream !== '*') return 0;
  if (appExact && streamExact) return 4;
  if (appExact) return 3;
  if (streamExact) return 2;
  return 1;
}

export function matchTemplate<T extends Pick<RecordTemplate, 'domain' | 'app' | 'stream' | 'createdMs' | 'id'>>(templates: readonly T[], s: StreamRef): T | null {
  let best: T | null = null;
  let bestRank = 0;
  for (const t of templates) {
    const rank = templateRank(t, s);
    // Ties cannot come from stored templates (their key is unique); the older one wins for determinism.
    if (rank > bestRank || (rank === bestRank && rank > 0 && best && (t.createdMs < best.createdMs || (t.createdMs === best.createdMs && t.id < best.id)))) {
      best = t;
      bestRank = rank;
    }
  }
  return best;
}

/** The publish URL's callback_* parameters, echoed back in file callbacks. */
export function pushArgsOf(params: IngestPublished['params']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k.startsWith('callback_')) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  }
  return out;
}

/** Turns the template (and per-format cycle overrides) into the plan the recorder follows. */
export function planFor(t: RecordTemplate, publish: IngestPublished, cycleOverrides: Partial<Record<string, number>> = {}, formats = t.formats): RecordingPlan {
  const segmented = formats.find((f) => f.format === 'm3u8' || f.format === 'cmaf') ?? formats[0];
  return {
    templateId: t.id,
    trigger: t.trigger,
    delaySeconds: t.delaySeconds,
    sliceSeconds: segmented?.sliceSeconds ?? 30,
    segmentContainer: formats.some((f) => f.format === 'cmaf') ? 'fmp4' : 'ts',
    segmentPattern: segmented?.segmentPattern || DEFAULT_SEGMENT_PATTERN,
    formats: formats.map((f) => ({ format: f.format, cycleSeconds: cycleOverrides[f.format] ?? f.cycleSeconds, filePattern: f.filePattern })),
    storage: t.storage,
    pushArgs: pushArgsOf(publish.params),
    ...(t.kind === 'vod' && t.vod ? { vod: { ...t.vod, templateId: t.id } } : {}),
  };
}
