// Usage figures at /metrics: this and last month's peak recording channels and recorded
// minutes per domain (and format), and the streams recording now. Read from the index when
// scraped, at most once per refresh interval whatever the scrape rate, so a scrape costs
// the catalogue one bounded query.
import { INDEX_METHODS, SUBJECTS, call, type Bus, type LiveChannels, type UsageQuery, type UsageResult } from '../../../libs/bus/index.js';
import { addScrapeGauges, type GaugeFamily, type Logger } from '../../../libs/telemetry/index.js';

const INDEX_USAGE = SUBJECTS.indexRpc(INDEX_METHODS.usage);
const INDEX_LIVE = SUBJECTS.indexRpc(INDEX_METHODS.liveChannels);

export interface UsageSnapshot {
  usage: UsageResult['usage'];
  live: LiveChannels[];
}

export interface UsageMetricsOptions {
  /** How long one reading of the catalogue serves scrapes. */
  refreshMs?: number;
  /** How long the index may take to answer before a scrape goes on with the last reading. */
  timeoutMs?: number;
  now?: () => number;
}

/** Last month and this one (UTC): a month's figures stay visible for a while after it closes. */
export function usageMonths(nowMs: number): Pick<UsageQuery, 'fromMonth' | 'toMonth'> {
  const d = new Date(nowMs);
  const previous = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return { fromMonth: previous.toISOString().slice(0, 7), toMonth: d.toISOString().slice(0, 7) };
}

/**
 * The gauges of a reading. Scrape-time gauges (libs/telemetry/scrape-gauges.ts), not OpenTelemetry
 * ones: a month that ended and a domain that no longer records must leave /metrics, not stay at
 * their last value.
 */
export function usageFamilies(s: UsageSnapshot): GaugeFamily[] {
  const peak: GaugeFamily = { name: 'liverecord_usage_peak_recording_channels', help: 'Most streams recording at one instant in the month (UTC), per domain: the billed peak', samples: [] };
  const minutes: GaugeFamily = { name: 'liverecord_usage_recorded_minutes', help: 'Minutes of catalogued recording files in the month (UTC), per domain and format', samples: [] };
  const channels: GaugeFamily = { name: 'liverecord_recording_channels', help: 'Streams recording now, per domain', samples: [] };
  const domains = new Set<string>();
  for (const l of s.live) {
    channels.samples.push({ labels: { domain: l.domain }, value: l.channels });
    domains.add(l.domain);
  }
  for (const u of s.usage) {
    peak.samples.push({ labels: { domain: u.domain, month: u.month }, value: u.peakChannels });
    for (const [format, ms] of Object.entries(u.recordedMs)) minutes.samples.push({ labels: { domain: u.domain, month: u.month, format }, value: ms / 60_000 });
    // A domain that recorded lately but is not recording now shows 0, not a gap.
    if (!domains.has(u.domain)) {
      channels.samples.push({ labels: { domain: u.domain }, value: 0 });
      domains.add(u.domain);
    }
  }
  return [peak, minutes, channels];
}

export class UsageMetrics {
  private snapshot: UsageSnapshot | null = null;
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;
  private remove: (() => void) | null = null;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private bus: Bus, private log: Logger, opts: UsageMetricsOptions = {}) {
    this.refreshMs = opts.refreshMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.remove ??= addScrapeGauges(async () => {
      const s = await this.read();
      return s ? usageFamilies(s) : [];
    });
  }

  stop(): void {
    this.remove?.();
    this.remove = null;
  }

  /** The latest reading, refreshed first when it is older than the refresh interval (one refresh at a time). */
  async read(): Promise<UsageSnapshot | null> {
    if (this.now() - this.readAt >= this.refreshMs) {
      this.reading ??= this.refresh().finally(() => {
        this.reading = null;
      });
    }
    if (this.reading) await this.reading;
    return this.snapshot;
  }

  private async refresh(): Promise<void> {
    // A failed reading is not retried before the interval passes either: an index that is down is not asked at every scrape.
    this.readAt = this.now();
    try {
      const [usage, live] = await Promise.all([
        call<UsageQuery, UsageResult>(this.bus, INDEX_USAGE, { domain: null, ...usageMonths(this.readAt) }, this.timeoutMs),
        call<Record<string, never>, LiveChannels[]>(this.bus, INDEX_LIVE, {}, this.timeoutMs),
      ]);
      this.snapshot = { usage: usage.usage, live };
    } catch (err) {
      this.log.warn({ err: (err as Error).message, stale: this.snapshot !== null }, 'usage metrics: the index did not answer; /metrics shows the last reading');
    }
  }
}
