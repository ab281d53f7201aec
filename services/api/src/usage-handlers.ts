// DescribeLiveRecordUsage: the request checked and turned into the index's usage query,
// its answer into the proto's (minutes, RFC 3339 times).
import { INDEX_METHODS, SUBJECTS, call, type Bus, type DomainMonthUsage, type UsageQuery, type UsageResult } from '../../../libs/bus/index.js';
import type { DescribeLiveRecordUsageRequest, DescribeLiveRecordUsageResponse, LiveRecordUsage } from '../../../libs/proto/index.js';
import { invalid } from './grpc-errors.js';
import { domainField, formatTime, shown } from './request-fields.js';

const INDEX_USAGE = SUBJECTS.indexRpc(INDEX_METHODS.usage);

/** The longest range one call covers (the index refuses more too). */
export const MAX_MONTHS = 24;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Formats in the order answers list them; others (none today) follow by name. */
const FORMAT_ORDER = ['m3u8', 'cmaf', 'flv', 'mp4'];

function monthNumber(field: string, value: string): number {
  const m = MONTH.exec(value);
  if (!m) throw invalid(field, `must be a month such as 2026-11 (YYYY-MM, UTC), got ${shown(value)}`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

function currentMonth(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

/** The request as the index's query; every error names its field. */
export function usageQuery(req: DescribeLiveRecordUsageRequest, nowMs = Date.now()): UsageQuery {
  const domain = (req.domainName ?? '').trim() ? domainField('domain_name', req.domainName) : null;
  const fromMonth = (req.startMonth ?? '').trim() || currentMonth(nowMs);
  const toMonth = (req.endMonth ?? '').trim() || fromMonth;
  const from = monthNumber('start_month', fromMonth);
  const to = monthNumber('end_month', toMonth);
  if (to < from) throw invalid('end_month', `must not be before start_month (${fromMonth}), got ${toMonth}`);
  if (to - from >= MAX_MONTHS) throw invalid('end_month', `at most ${MAX_MONTHS} months from start_month (${fromMonth}), got ${to - from + 1}`);
  return { domain, fromMonth, toMonth };
}

const byFormat = (a: string, b: string) => {
  const ia = FORMAT_ORDER.indexOf(a);
  const ib = FORMAT_ORDER.indexOf(b);
  return (ia < 0 ? FORMAT_ORDER.length : ia) - (ib < 0 ? FORMAT_ORDER.length : ib) || a.localeCompare(b);
};

export function toLiveRecordUsage(u: DomainMonthUsage): LiveRecordUsage {
  return {
    domainName: u.domain,
    month: u.month,
    peakChannels: u.peakChannels,
    peakTime: u.peakAtMs === null ? '' : formatTime(u.peakAtMs),
    recordedMinutes: Object.keys(u.recordedMs).sort(byFormat).map((format) => ({ format, minutes: u.recordedMs[format] / 60_000 })),
  };
}

export async function describeUsage(bus: Bus, req: DescribeLiveRecordUsageRequest): Promise<DescribeLiveRecordUsageResponse> {
  const result = await call<UsageQuery, UsageResult>(bus, INDEX_USAGE, usageQuery(req), 30000);
  return { usageList: result.usage.map(toLiveRecordUsage) };
}
