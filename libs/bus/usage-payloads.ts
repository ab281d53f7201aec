// Usage figures the index answers on lr.rpc.index.usage and lr.rpc.index.live_channels.

/** Months are UTC calendar months written YYYY-MM; the range is inclusive. */
export interface UsageQuery {
  /** Only this domain (then every month of the range is answered, zeros included); null for every domain. */
  domain: string | null;
  fromMonth: string;
  toMonth: string;
}

export interface DomainMonthUsage {
  domain: string;
  month: string;
  /** Most streams recording at one instant within the month. */
  peakChannels: number;
  /** When the peak was first reached; null when nothing recorded. */
  peakAtMs: number | null;
  /** Recorded milliseconds of catalogued files per format (m3u8, cmaf, flv, mp4), formats without any left out. */
  recordedMs: Record<string, number>;
}

export interface UsageResult {
  usage: DomainMonthUsage[];
}

export interface LiveChannels {
  domain: string;
  channels: number;
}
