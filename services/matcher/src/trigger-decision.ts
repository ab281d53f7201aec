// What a template's trigger mode means for one publish. Pure: the on-demand
// answer (or its failure) is fetched before and handed in.
import type { IngestPublished, RecordFormat, RecordTemplate, TemplateFormat } from '../../../libs/bus/index.js';
import type { OnDemandAnswer } from './on-demand.js';

export interface TriggerOutcome {
  record: boolean;
  reason: string;
  detail: string;
  formats: TemplateFormat[];
  cycleOverrides: Partial<Record<RecordFormat, number>>;
}

export type OnDemandResult = { ok: true; answer: OnDemandAnswer } | { ok: false; error: string };

function paramValue(params: IngestPublished['params'], name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function decideTrigger(t: RecordTemplate, publish: IngestPublished, onDemand: OnDemandResult | null, fallback: 'skip' | 'record'): TriggerOutcome {
  const formats = t.formats;
  const yes = (reason: string, detail: string, fs = formats, cycleOverrides: TriggerOutcome['cycleOverrides'] = {}): TriggerOutcome => ({ record: true, reason, detail, formats: fs, cycleOverrides });
  const no = (reason: string, detail: string): TriggerOutcome => ({ record: false, reason, detail, formats, cycleOverrides: {} });

  switch (t.trigger) {
    case 0:
      return yes('recording', 'automatic trigger');
    case 7:
      return no('manual_wait', 'manual trigger: waiting for a start command');
    case 2: {
      const raw = paramValue(publish.params, 'record_config');
      if (raw === undefined) return no('ingest_param_missing', 'ingest-parameter trigger: the publish URL has no record_config');
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return no('ingest_param_malformed', `ingest-parameter trigger: record_config is not JSON: ${raw.slice(0, 200)}`);
      }
      const need = (parsed as { NeedRecord?: unknown } | null)?.NeedRecord;
      if (typeof need !== 'boolean') return no('ingest_param_malformed', 'ingest-parameter trigger: record_config has no boolean NeedRecord');
      return need ? yes('recording', 'ingest-parameter trigger: NeedRecord true') : no('ingest_param_false', 'ingest-parameter trigger: NeedRecord false');
    }
    case 1: {
      if (!onDemand || !onDemand.ok) {
        const why = onDemand ? onDemand.error : 'no on-demand URL is configured for the domain';
        return fallback === 'record'
          ? yes('on_demand_failed_recorded', `on-demand callback unusable (${why}); fallback records`)
          : no('on_demand_failed', `on-demand callback unusable (${why}); fallback skips`);
      }
      const a = onDemand.answer;
      if (!a.needRecord) return no('on_demand_denied', 'on-demand callback answered NeedRecord false');
      let chosen = formats;
      if (a.formats !== null) {
        chosen = formats.filter((f) => a.formats!.includes(f.format));
        if (chosen.length === 0) return no('on_demand_no_common_format', `on-demand Format [${a.formats.join(', ')}] has nothing in common with the template's [${formats.map((f) => f.format).join(', ')}]`);
      }
      const overrides: TriggerOutcome['cycleOverrides'] = {};
      for (const f of chosen) if (a.intervals[f.format] !== undefined) overrides[f.format] = a.intervals[f.format];
      const detail = `on-demand callback allowed: formats [${chosen.map((f) => f.format).join(', ')}]${Object.keys(overrides).length ? `, cycles ${JSON.stringify(overrides)}` : ''}`;
      return yes('recording', detail, chosen, overrides);
    }
  }
}
