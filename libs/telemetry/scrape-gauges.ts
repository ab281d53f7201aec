// Gauges read when /metrics is scraped, whose series are exactly those of the latest
// reading. OpenTelemetry's observable gauges keep every attribute set they ever saw
// (cumulative temporality merges the last report into the next), so a series whose label
// moves on (a month that ended, a domain that stopped recording) would stay forever at its
// last value. Families here are served next to the OpenTelemetry ones, in the same format.
import { componentLogger } from './logger.js';

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

export interface GaugeFamily {
  name: string;
  help: string;
  samples: GaugeSample[];
}

/** Reads its families; expected to bound its own time and to answer what it last knew on failure. */
export type GaugeSource = () => Promise<GaugeFamily[]>;

const sources = new Set<GaugeSource>();

/** Serves a source's families at /metrics until the returned function is called. */
export function addScrapeGauges(source: GaugeSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition of gauge families (a family without samples says nothing). */
export function renderGaugeFamilies(families: readonly GaugeFamily[]): string {
  let out = '';
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} gauge\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      out += `${f.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}\n`;
    }
    out += '\n';
  }
  return out;
}

/** Every source's families, read at once; a source that fails is left out of this scrape (and logged). */
export async function scrapeGaugeText(): Promise<string> {
  const read = await Promise.allSettled([...sources].map((source) => source()));
  const families: GaugeFamily[] = [];
  for (const r of read) {
    if (r.status === 'fulfilled') families.push(...r.value);
    else componentLogger('telemetry').error({ err: (r.reason as Error).message }, 'a scrape-time gauge source failed');
  }
  return renderGaugeFamilies(families);
}
