// Usage figures per domain and month, from the catalogue: peak recording channels swept over
// the recordings' runs (and the live ones up to now), recorded time summed per format in SQL.
import { sql, type Kysely } from 'kysely';
import { RpcFailure, type DomainMonthUsage, type LiveChannels, type UsageQuery, type UsageResult } from '../../../libs/bus/index.js';
import { INDEX_FILE_RECORDING_PREFIX, type CatalogueDb } from './catalogue-schema.js';
import { peakChannels, type ChannelInterval } from './peak-channels.js';
import { RECORDING_PHASE } from './recording-activity.js';
import { monthOrdinal, monthsBetween, type MonthSpan } from './usage-months.js';
import { MASTER_RECORDING_SUFFIX } from '../../../libs/naming/index.js';

/** The longest range one query may cover: the api refuses more, and so does the index. */
export const MAX_USAGE_MONTHS = 24;

const channelOf = (r: { app: string; stream: string }) => `${r.app}/${r.stream}`;

/** Each domain's recording intervals overlapping [fromMs, toMs): its runs, and its live recordings from when they began to now. */
async function intervalsByDomain(db: Kysely<CatalogueDb>, domain: string | null, fromMs: number, toMs: number, nowMs: number): Promise<Map<string, ChannelInterval[]>> {
  let runs = db.selectFrom('recording_runs').select(['domain', 'app', 'stream', 'start_ms', 'end_ms'])
    .where('end_ms', '>', fromMs).where('start_ms', '<', toMs);
  let live = db.selectFrom('recording_phases').select(['domain', 'app', 'stream', 'since_ms'])
    .where('phase', '=', RECORDING_PHASE).where('since_ms', '<', Math.min(toMs, nowMs));
  if (domain) {
    runs = runs.where('domain', '=', domain);
    live = live.where('domain', '=', domain);
  }
  const out = new Map<string, ChannelInterval[]>();
  const add = (d: string, i: ChannelInterval) => {
    const list = out.get(d);
    if (list) list.push(i);
    else out.set(d, [i]);
  };
  for (const r of await runs.execute()) add(r.domain, { channel: channelOf(r), startMs: Number(r.start_ms), endMs: Number(r.end_ms) });
  if (nowMs > fromMs) for (const r of await live.execute()) add(r.domain, { channel: channelOf(r), startMs: Number(r.since_ms), endMs: nowMs });
  return out;
}

/**
 * Recorded milliseconds per month, domain and format: every recorder file's duration, a file
 * crossing a month boundary shared in proportion to its time on each side. Created index files
 * (clips) are not recordings and do not count, nor do master playlists (their variants' files do).
 */
async function recordedByMonth(db: Kysely<CatalogueDb>, domain: string | null, months: MonthSpan[]): Promise<Map<string, Record<string, number>>> {
  const fromMs = months[0].startMs;
  const toMs = months[months.length - 1].endMs;
  // A VALUES list of the months (column1 start, column2 end: the default names on both databases).
  const spans = sql.join(months.map((m) => sql`(CAST(${m.startMs} AS BIGINT), CAST(${m.endMs} AS BIGINT))`));
  const lateStart = sql`CASE WHEN f.start_ms > m.column1 THEN f.start_ms ELSE m.column1 END`;
  const earlyEnd = sql`CASE WHEN f.end_ms < m.column2 THEN f.end_ms ELSE m.column2 END`;
  const rows = await sql<{ month_start: number; domain: string; format: string; ms: number }>`
    SELECT m.column1 AS month_start, f.domain AS domain, f.format AS format,
      SUM(CASE WHEN f.end_ms > f.start_ms THEN f.duration_ms * (${earlyEnd} - ${lateStart}) / (f.end_ms - f.start_ms) ELSE 0 END) AS ms
    FROM record_files f JOIN (VALUES ${spans}) AS m ON f.start_ms < m.column2 AND f.end_ms > m.column1
    WHERE f.end_ms > ${fromMs} AND f.start_ms < ${toMs} AND f.recording_id NOT LIKE ${`${INDEX_FILE_RECORDING_PREFIX}%`}
      AND f.recording_id NOT LIKE ${`%${MASTER_RECORDING_SUFFIX}`}
      ${domain ? sql`AND f.domain = ${domain}` : sql``}
    GROUP BY m.column1, f.domain, f.format`.execute(db);
  const monthAt = new Map(months.map((m) => [m.startMs, m.month]));
  const out = new Map<string, Record<string, number>>();
  for (const r of rows.rows) {
    const key = `${r.domain}\u0000${monthAt.get(Number(r.month_start))}`;
    const perFormat = out.get(key) ?? {};
    perFormat[r.format] = Number(r.ms);
    out.set(key, perFormat);
  }
  return out;
}

/**
 * Every (domain, month) of the range with any usage, in domain then month order; for a
 * query naming its domain, every month of the range, zeros included.
 */
export async function usageReport(db: Kysely<CatalogueDb>, q: UsageQuery, nowMs: number): Promise<UsageResult> {
  const from = monthOrdinal(q.fromMonth);
  const to = monthOrdinal(q.toMonth);
  if (from === null || to === null || to < from || to - from >= MAX_USAGE_MONTHS) {
    throw new RpcFailure({ code: 'invalid_argument', message: `months ${q.fromMonth}..${q.toMonth}: not a range of 1 to ${MAX_USAGE_MONTHS} months` });
  }
  const months = monthsBetween(q.fromMonth, q.toMonth);
  const intervals = await intervalsByDomain(db, q.domain, months[0].startMs, months[months.length - 1].endMs, nowMs);
  const recorded = await recordedByMonth(db, q.domain, months);
  const domains = q.domain ? [q.domain] : [...new Set([...intervals.keys(), ...[...recorded.keys()].map((k) => k.split('\u0000')[0])])].sort();
  const usage: DomainMonthUsage[] = [];
  for (const domain of domains) {
    for (const m of months) {
      const peak = peakChannels(intervals.get(domain) ?? [], m.startMs, m.endMs);
      const recordedMs = recorded.get(`${domain}\u0000${m.month}`) ?? {};
      if (!q.domain && peak.channels === 0 && Object.keys(recordedMs).length === 0) continue;
      usage.push({ domain, month: m.month, peakChannels: peak.channels, peakAtMs: peak.atMs, recordedMs });
    }
  }
  return { usage };
}

/** Streams whose recording is in the recording phase now, per domain. */
export async function liveChannels(db: Kysely<CatalogueDb>): Promise<LiveChannels[]> {
  const rows = await db.selectFrom((eb) => eb.selectFrom('recording_phases').select(['domain', 'app', 'stream']).distinct()
    .where('phase', '=', RECORDING_PHASE).as('live'))
    .select((eb) => ['domain', eb.fn.countAll<number>().as('channels')])
    .groupBy('domain').orderBy('domain')
    .execute();
  return rows.map((r) => ({ domain: r.domain, channels: Number(r.channels) }));
}
