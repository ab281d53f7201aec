// Usage figures: the peak sweep and month arithmetic as table tests, then the catalogue's
// runs, live phases and per-format minutes on SQLite and on a throwaway PostgreSQL.
import { MASTER_RECORDING_SUFFIX } from '../../../libs/naming/index.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { FileStored, RecordFormat, RecordingStateChanged, SegmentStored, StreamRef } from '../../../libs/bus/index.js';
import { rootLogger } from '../../../libs/telemetry/index.js';
import { startPostgres, tempDir, type ThrowawayPostgres } from '../../../test-kit/index.js';
import type { CatalogueDb } from '../src/catalogue-schema.js';
import { CatalogueStore, type CatalogueDriver } from '../src/catalogue-store.js';
import { peakChannels, type ChannelInterval } from '../src/peak-channels.js';
import { sweepExpired } from '../src/retention.js';
import { monthOf, monthsBetween } from '../src/usage-months.js';
import { liveChannels, usageReport } from '../src/usage-report.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const JAN = Date.UTC(2026, 0, 1);
const FEB = Date.UTC(2026, 1, 1);
const MAR = Date.UTC(2026, 2, 1);

describe('peak channels - the sweep', () => {
  const iv = (channel: string, startMs: number, endMs: number): ChannelInterval => ({ channel, startMs, endMs });
  const cases: { name: string; intervals: ChannelInterval[]; window?: [number, number]; want: { channels: number; atMs: number | null } }[] = [
    { name: 'nothing recorded', intervals: [], want: { channels: 0, atMs: null } },
    { name: 'one recording', intervals: [iv('a', 10, 20)], want: { channels: 1, atMs: 10 } },
    { name: 'two overlapping: the peak is where the second starts', intervals: [iv('a', 10, 30), iv('b', 20, 40)], want: { channels: 2, atMs: 20 } },
    { name: 'back to back (half-open) do not overlap', intervals: [iv('a', 10, 20), iv('b', 20, 30)], want: { channels: 1, atMs: 10 } },
    { name: 'three, two of them nested in the first', intervals: [iv('a', 0, 100), iv('b', 10, 20), iv('c', 15, 25), iv('d', 30, 40)], want: { channels: 3, atMs: 15 } },
    { name: 'one stream twice at once counts once', intervals: [iv('a', 0, 50), iv('a', 10, 60), iv('b', 55, 70)], want: { channels: 2, atMs: 55 } },
    { name: 'a stream\'s runs back to back are one channel', intervals: [iv('a', 0, 10), iv('a', 10, 20), iv('b', 5, 15)], want: { channels: 2, atMs: 5 } },
    { name: 'the later of two equal peaks does not move the time', intervals: [iv('a', 0, 10), iv('b', 5, 10), iv('a', 20, 30), iv('b', 25, 30)], want: { channels: 2, atMs: 5 } },
    { name: 'clipped to the window: a peak before it does not count', window: [100, 200], intervals: [iv('a', 0, 150), iv('b', 50, 99), iv('c', 120, 300)], want: { channels: 2, atMs: 120 } },
    { name: 'an interval covering the whole window counts from its start', window: [100, 200], intervals: [iv('a', 0, 1000)], want: { channels: 1, atMs: 100 } },
    { name: 'ending exactly where the window starts is outside it', window: [100, 200], intervals: [iv('a', 0, 100), iv('b', 200, 300)], want: { channels: 0, atMs: null } },
    { name: 'empty and reversed intervals count for nothing', intervals: [iv('a', 10, 10), iv('b', 30, 20)], want: { channels: 0, atMs: null } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [from, to] = c.window ?? [0, 1e6];
      assert.deepEqual(peakChannels(c.intervals, from, to), c.want);
    });
  }

  it('a recording spanning months counts in each month', () => {
    const intervals = [iv('a', JAN + 20 * DAY, MAR + DAY), iv('b', FEB + 3 * DAY, FEB + 4 * DAY)];
    const byMonth = monthsBetween('2026-01', '2026-03').map((m) => peakChannels(intervals, m.startMs, m.endMs));
    assert.deepEqual(byMonth, [{ channels: 1, atMs: JAN + 20 * DAY }, { channels: 2, atMs: FEB + 3 * DAY }, { channels: 1, atMs: MAR }]);
  });
});

describe('usage months', () => {
  it('lists the months of a range across a year boundary', () => {
    assert.deepEqual(monthsBetween('2025-11', '2026-02').map((m) => [m.month, new Date(m.startMs).toISOString(), new Date(m.endMs).toISOString()]), [
      ['2025-11', '2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z'],
      ['2025-12', '2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
      ['2026-01', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
      ['2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ]);
    assert.deepEqual(monthsBetween('2026-03', '2026-02'), []);
  });

  it('finds the month of an instant (UTC), its last millisecond included', () => {
    assert.equal(monthOf(FEB - 1).month, '2026-01');
    assert.equal(monthOf(FEB).month, '2026-02');
    assert.throws(() => monthsBetween('2026-13', '2026-14'), /not a month: 2026-13/);
  });
});

const storage = { kind: 'local' as const, bucket: '', endpoint: '' };

function segment(stream: StreamRef, recordingId: string, sequence: number, startMs: number, durationMs: number): SegmentStored {
  const key = `record/${stream.app}/${stream.stream}/${recordingId}_${sequence}.ts`;
  return {
    objectKey: key, storage, size: 1, sha256: 'y', url: `http://h/${key}`,
    segment: { stream, recordingId, sequence, startMs, endMs: startMs + durationMs, durationMs, discontinuity: false },
  };
}

/** `count` contiguous segments of a recording from `startMs` (sequences from `firstSequence`). */
async function record(store: CatalogueStore, stream: StreamRef, recordingId: string, startMs: number, count: number, segmentMs = 10 * MIN, firstSequence = 0): Promise<void> {
  for (let i = 0; i < count; i++) await store.addSegment(segment(stream, recordingId, firstSequence + i, startMs + i * segmentMs, segmentMs));
}

function file(stream: StreamRef, recordingId: string, format: RecordFormat, sequence: number, startMs: number, endMs: number, durationMs = endMs - startMs): FileStored {
  return {
    objectKey: `record/${stream.app}/${stream.stream}/${recordingId}-${sequence}.${format}`, storage, size: 1, sha256: 'x', url: 'http://h/f',
    file: { stream, recordingId, format, sequence, startMs, endMs, durationMs, width: 640, height: 360, segmentKeys: [], pushArgs: {} },
  };
}

function state(stream: StreamRef, recordingId: string, phase: string, at: number): RecordingStateChanged {
  return { stream, recordingId, phase, previous: '', reason: 'test', at };
}

async function runsOf(store: CatalogueStore, recordingId: string): Promise<[number, number][]> {
  const rows = await store.db.selectFrom('recording_runs').select(['start_ms', 'end_ms']).where('recording_id', '=', recordingId).orderBy('start_ms').execute();
  return rows.map((r) => [Number(r.start_ms), Number(r.end_ms)]);
}

type Driver = () => Promise<CatalogueDriver>;

/** A Kysely on a fresh catalogue of the driver, without the store: for schemas older than the newest. */
function rawDb(d: CatalogueDriver): Kysely<CatalogueDb> {
  return d.driver === 'sqlite'
    ? new Kysely<CatalogueDb>({ dialect: new SqliteDialect({ database: new SQLite(d.path) }) })
    : new Kysely<CatalogueDb>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: d.url, max: 2 }) }) });
}

function usageSuite(name: string, driver: Driver): void {
  describe(`usage figures - ${name}`, () => {
    const a1: StreamRef = { domain: 'a.example', app: 'live', stream: 'one' };
    const a2: StreamRef = { domain: 'a.example', app: 'live', stream: 'two' };
    const a3: StreamRef = { domain: 'a.example', app: 'other', stream: 'one' };
    const b1: StreamRef = { domain: 'b.example', app: 'live', stream: 'one' };
    let store: CatalogueStore;

    before(async () => {
      store = await CatalogueStore.open(await driver());
      // a.example: one stream from Jan 31 23:00 into Feb (a recording crossing the month),
      // two more overlapping it on Jan 31, one of them twice (a reconnect gap), one in mid-February.
      await record(store, a1, 'ra1', FEB - HOUR, 12); // Jan 31 23:00 .. Feb 1 01:00
      await record(store, a2, 'ra2', FEB - 50 * MIN, 2); // 23:10 .. 23:30
      await record(store, a2, 'ra2', FEB - 20 * MIN, 1, 10 * MIN, 2); // 23:40 .. 23:50, after a gap
      await record(store, a3, 'ra3', FEB - 25 * MIN, 2); // 23:35 .. 23:55: 3 at once from 23:40
      await record(store, a2, 'ra4', FEB + 14 * DAY, 3);
      await record(store, b1, 'rb1', JAN + 5 * DAY, 6);
      // Files: m3u8 and flv of ra1 crossing the month boundary, flv half recorded (a reconnect), mp4 of rb1.
      await store.addFile(file(a1, 'ra1', 'm3u8', 0, FEB - HOUR, FEB + HOUR));
      await store.addFile(file(a1, 'ra1', 'flv', 0, FEB - HOUR, FEB + HOUR, HOUR));
      await store.addFile(file(b1, 'rb1', 'mp4', 0, JAN + 5 * DAY, JAN + 5 * DAY + HOUR));
      // A clip is not a recording: it adds no minutes.
      await store.addIndexFile(file(a1, 'idxclip', 'm3u8', 0, FEB - HOUR, FEB), { startMs: FEB - HOUR, endMs: FEB }, Date.now(), 'idxclip-m3u8-0');
      // Nor is a master playlist over renditions: its variants' own files count.
      await store.addFile(file(a1, `ra1${MASTER_RECORDING_SUFFIX}`, 'm3u8', 0, FEB - HOUR, FEB + HOUR));
    });
    after(() => store.close());

    it('contiguous segments make one run; a gap starts another; a late segment fills its gap', async () => {
      assert.deepEqual(await runsOf(store, 'ra1'), [[FEB - HOUR, FEB + HOUR]]);
      assert.deepEqual(await runsOf(store, 'ra2'), [[FEB - 50 * MIN, FEB - 30 * MIN], [FEB - 20 * MIN, FEB - 10 * MIN]]);
      await record(store, a2, 'gap', 0, 1, 10, 0);
      await record(store, a2, 'gap', 20, 1, 10, 2);
      assert.deepEqual(await runsOf(store, 'gap'), [[0, 10], [20, 30]]);
      await record(store, a2, 'gap', 10, 1, 10, 1);
      assert.deepEqual(await runsOf(store, 'gap'), [[0, 30]]);
      await store.addSegment(segment(a2, 'gap', 1, 10, 10));
      assert.deepEqual(await runsOf(store, 'gap'), [[0, 30]], 'a repeated segment changes nothing');
    });

    it('peak channels per domain and month, with when; minutes per format shared across the month boundary', async () => {
      const { usage } = await usageReport(store.db, { domain: null, fromMonth: '2026-01', toMonth: '2026-02' }, MAR);
      assert.deepEqual(usage, [
        { domain: 'a.example', month: '2026-01', peakChannels: 3, peakAtMs: FEB - 20 * MIN, recordedMs: { m3u8: HOUR, flv: HOUR / 2 } },
        { domain: 'a.example', month: '2026-02', peakChannels: 1, peakAtMs: FEB, recordedMs: { m3u8: HOUR, flv: HOUR / 2 } },
        { domain: 'b.example', month: '2026-01', peakChannels: 1, peakAtMs: JAN + 5 * DAY, recordedMs: { mp4: HOUR } },
      ]);
    });

    it('one domain: every month of the range, zeros included', async () => {
      const { usage } = await usageReport(store.db, { domain: 'b.example', fromMonth: '2025-12', toMonth: '2026-02' }, MAR);
      assert.deepEqual(usage.map((u) => [u.month, u.peakChannels, u.peakAtMs, u.recordedMs]), [
        ['2025-12', 0, null, {}], ['2026-01', 1, JAN + 5 * DAY, { mp4: HOUR }], ['2026-02', 0, null, {}],
      ]);
      const none = await usageReport(store.db, { domain: 'nobody.example', fromMonth: '2026-01', toMonth: '2026-01' }, MAR);
      assert.deepEqual(none.usage, [{ domain: 'nobody.example', month: '2026-01', peakChannels: 0, peakAtMs: null, recordedMs: {} }]);
    });

    it('open recordings count up to now; an ended one stops; a late event does not reopen it', async () => {
      const c1: StreamRef = { domain: 'c.example', app: 'live', stream: 'one' };
      const c2: StreamRef = { domain: 'c.example', app: 'live', stream: 'two' };
      const now = MAR + 10 * DAY;
      await store.addRecordingState(state(c1, 'rc1', 'recording', MAR + DAY));
      await record(store, c1, 'rc1', MAR + DAY, 2); // stored so far: 20 minutes
      await store.addRecordingState(state(c2, 'rc2', 'recording', MAR + 5 * DAY));
      const q = { domain: 'c.example', fromMonth: '2026-03', toMonth: '2026-03' };
      assert.deepEqual((await usageReport(store.db, q, now)).usage[0], { domain: 'c.example', month: '2026-03', peakChannels: 2, peakAtMs: MAR + 5 * DAY, recordedMs: {} });
      assert.deepEqual(await liveChannels(store.db), [{ domain: 'c.example', channels: 2 }]);

      await store.addRecordingState(state(c1, 'rc1', 'reconnect_wait', MAR + 2 * DAY));
      await store.addRecordingState(state(c1, 'rc1', 'finalizing', MAR + 2 * DAY + MIN));
      await store.addRecordingState(state(c1, 'rc1', 'ended', MAR + 2 * DAY + MIN));
      await store.addRecordingState(state(c1, 'rc1', 'recording', MAR + DAY)); // a retried delivery of the first event
      assert.deepEqual(await liveChannels(store.db), [{ domain: 'c.example', channels: 1 }]);
      const after = (await usageReport(store.db, q, now)).usage[0];
      assert.deepEqual([after.peakChannels, after.peakAtMs], [1, MAR + DAY], 'rc1 counts for its stored runs only, and no longer overlaps rc2');
      // The live recording of a month that has passed counts to the month's end, and in the next month.
      const april = await usageReport(store.db, { domain: 'c.example', fromMonth: '2026-03', toMonth: '2026-04' }, Date.UTC(2026, 3, 2));
      assert.deepEqual(april.usage.map((u) => [u.month, u.peakChannels, u.peakAtMs]), [['2026-03', 1, MAR + DAY], ['2026-04', 1, Date.UTC(2026, 3, 1)]]);
    });

    it('refuses a range that is not 1 to 24 months', async () => {
      await assert.rejects(usageReport(store.db, { domain: null, fromMonth: '2026-02', toMonth: '2026-01' }, MAR), /not a range of 1 to 24 months/);
      await assert.rejects(usageReport(store.db, { domain: null, fromMonth: '2024-01', toMonth: '2026-01' }, MAR), /not a range/);
      await assert.rejects(usageReport(store.db, { domain: null, fromMonth: '2026-1', toMonth: '2026-01' }, MAR), /not a range/);
    });

    it('retention expires runs with their domain\'s files, and old phases of recordings that stopped', async () => {
      const s = await CatalogueStore.open(await driver());
      const d: StreamRef = { domain: 'ret.example', app: 'live', stream: 'x' };
      await record(s, d, 'old', JAN, 1);
      await record(s, d, 'new', JAN + 170 * DAY, 1);
      await s.addRecordingState(state(d, 'old', 'ended', JAN));
      await s.addRecordingState(state(d, 'live', 'recording', JAN));
      const deps = { store: s, backendFor: () => { throw new Error('nothing is deleted from storage'); }, log: rootLogger() };
      const r = await sweepExpired(deps, { fileDays: 180, segmentDays: 90, domains: {}, deleteObjects: false }, JAN + 185 * DAY);
      assert.equal(r.runs, 1);
      assert.deepEqual(await runsOf(s, 'old'), []);
      assert.equal((await runsOf(s, 'new')).length, 1);
      const phases = await s.db.selectFrom('recording_phases').select('recording_id').execute();
      assert.deepEqual(phases.map((p) => p.recording_id), ['live'], 'a recording still recording keeps its phase');
      await s.close();
    });

    it('an older catalogue is upgraded with its runs rebuilt from segments, or from files where the segments expired', async () => {
      const d = await driver();
      const up: StreamRef = { domain: 'up.example', app: 'live', stream: 'x' };
      const old = await CatalogueStore.open(d);
      for (const [seq, start] of [[0, 0], [1, 10], [2, 20], [3, 50], [4, 60]] as const) await old.addSegment(segment(up, 'seg', seq, JAN + start * MIN, 10 * MIN));
      await old.addFile(file(up, 'expired', 'flv', 0, FEB, FEB + HOUR));
      await old.addFile(file(up, 'expired', 'flv', 1, FEB + HOUR, FEB + 2 * HOUR));
      await old.close();
      // Back to the second schema, as a catalogue made before usage figures is.
      const db = rawDb(d);
      await sql`DELETE FROM schema_version WHERE version = 3`.execute(db);
      await sql`DROP TABLE recording_runs`.execute(db);
      await sql`DROP TABLE recording_phases`.execute(db);
      await db.destroy();

      const store2 = await CatalogueStore.open(d);
      try {
        assert.deepEqual(await runsOf(store2, 'seg'), [[JAN, JAN + 30 * MIN], [JAN + 50 * MIN, JAN + 70 * MIN]]);
        assert.deepEqual(await runsOf(store2, 'expired'), [[FEB, FEB + 2 * HOUR]]);
      } finally {
        await store2.close();
      }
    });
  });
}

usageSuite('sqlite', async () => ({ driver: 'sqlite', path: join(tempDir('usage'), `u${Math.random()}.sqlite`) }));

let pgServer: ThrowawayPostgres | null = null;
let pgDb = 0;
usageSuite('postgresql', async () => {
  pgServer ??= await startPostgres();
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  const name = `usage${++pgDb}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return { driver: 'postgres', url: pgServer.url.replace(/\/postgres$/, `/${name}`) };
});
after(() => pgServer?.stop());

describe('usage figures - query plans (SQLite)', () => {
  it('a month\'s runs are read through the end index, and a domain\'s through the domain index', async () => {
    const store = await CatalogueStore.open({ driver: 'sqlite', path: join(tempDir('plan'), 'c.sqlite') });
    try {
      const plan = async (q: ReturnType<typeof sql>) => (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${q}`.execute(store.db)).rows.map((r) => r.detail).join(' ');
      assert.match(await plan(sql`SELECT * FROM recording_runs WHERE end_ms > ${1} AND start_ms < ${2}`), /USING INDEX recording_runs_end/);
      assert.match(await plan(sql`SELECT * FROM recording_runs WHERE end_ms > ${1} AND start_ms < ${2} AND domain = ${'d'}`), /USING INDEX recording_runs_domain_end/);
    } finally {
      await store.close();
    }
  });
});
