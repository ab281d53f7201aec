// When recordings had media (runs of contiguous segments) and which are recording now
// (their last state event): the two facts the usage figures are computed from.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { RecordingStateChanged, SegmentMeta } from '../../../libs/bus/index.js';
import type { Dialect } from './catalogue-migrations.js';
import type { CatalogueDb } from './catalogue-schema.js';

/** The phase in which a recording counts as a recording channel. */
export const RECORDING_PHASE = 'recording';

/** PostgreSQL advisory lock class of run updates (the migrations use a single-key lock). */
const RUN_LOCK_CLASS = 727369;

/**
 * Adds a catalogued segment to its recording's runs: merged with every run it overlaps or
 * touches, so that contiguous segments make one run and a segment arriving late (a replay,
 * a redelivery) fills its gap. A segment within a run changes nothing.
 */
export async function extendRun(tx: Transaction<CatalogueDb>, dialect: Dialect, s: SegmentMeta): Promise<void> {
  // Index replicas on one PostgreSQL may catalogue one recording's segments at once.
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${RUN_LOCK_CLASS}, hashtext(${s.recordingId}))`.execute(tx);
  const touching = await tx.selectFrom('recording_runs').select(['start_ms', 'end_ms'])
    .where('recording_id', '=', s.recordingId).where('start_ms', '<=', s.endMs).where('end_ms', '>=', s.startMs)
    .execute();
  const start = Math.min(s.startMs, ...touching.map((r) => Number(r.start_ms)));
  const end = Math.max(s.endMs, ...touching.map((r) => Number(r.end_ms)));
  if (touching.length === 1 && Number(touching[0].start_ms) === start) {
    if (Number(touching[0].end_ms) !== end) {
      await tx.updateTable('recording_runs').set({ end_ms: end }).where('recording_id', '=', s.recordingId).where('start_ms', '=', start).execute();
    }
    return;
  }
  if (touching.length > 0) {
    await tx.deleteFrom('recording_runs').where('recording_id', '=', s.recordingId).where('start_ms', 'in', touching.map((r) => r.start_ms)).execute();
  }
  await tx.insertInto('recording_runs').values({
    recording_id: s.recordingId, start_ms: start, end_ms: end, domain: s.stream.domain, app: s.stream.app, stream: s.stream.stream,
  }).execute();
}

/**
 * Keeps a recording's latest phase. An event older than the one already applied (a retried
 * delivery after a later event) changes nothing, so a closed recording is not reopened.
 */
export async function recordPhase(db: Kysely<CatalogueDb>, ev: RecordingStateChanged): Promise<void> {
  await db.insertInto('recording_phases').values({
    recording_id: ev.recordingId, domain: ev.stream.domain, app: ev.stream.app, stream: ev.stream.stream, phase: ev.phase, since_ms: ev.at,
  }).onConflict((oc) => oc.column('recording_id')
    .doUpdateSet((eb) => ({ phase: eb.ref('excluded.phase'), since_ms: eb.ref('excluded.since_ms') }))
    .where((eb) => eb('recording_phases.since_ms', '<=', eb.ref('excluded.since_ms'))))
    .execute();
}

/**
 * Forgets recordings that have not been recording since before `cutoffMs` (ended, failed,
 * idle): their rows only guarded against late events, and none come that late.
 */
export async function forgetPhasesBefore(db: Kysely<CatalogueDb>, cutoffMs: number): Promise<number> {
  const r = await db.deleteFrom('recording_phases').where('phase', '<>', RECORDING_PHASE).where('since_ms', '<', cutoffMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Drops runs that ended before the cutoff, for a domain set (the file retention of those domains). */
export async function expireRuns(db: Kysely<CatalogueDb>, cutoffMs: number, domains: { only?: string; except?: string[] }): Promise<number> {
  let q = db.deleteFrom('recording_runs').where('end_ms', '<', cutoffMs);
  if (domains.only) q = q.where('domain', '=', domains.only);
  if (domains.except?.length) q = q.where('domain', 'not in', domains.except);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}
