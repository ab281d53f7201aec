// DescribeLiveRecordUsage's request checks and answer, and the usage gauges' reading:
// one index query per refresh interval however often /metrics is scraped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { INDEX_METHODS, SUBJECTS, serve, type Bus, type LiveChannels, type UsageQuery, type UsageResult } from '../../../libs/bus/index.js';
import { rootLogger } from '../../../libs/telemetry/index.js';
import { startNats, type TestNats } from '../../../test-kit/index.js';
import { ApiError } from '../src/grpc-errors.js';
import { toLiveRecordUsage, usageQuery } from '../src/usage-handlers.js';
import { UsageMetrics, usageFamilies, usageMonths } from '../src/usage-metrics.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('DescribeLiveRecordUsage - request and answer', () => {
  it('defaults to the current month; end_month defaults to start_month; the domain is normalised', () => {
    assert.deepEqual(usageQuery({ domainName: '', startMonth: '', endMonth: '' }, NOW), { domain: null, fromMonth: '2026-11', toMonth: '2026-11' });
    assert.deepEqual(usageQuery({ domainName: ' Example.COM ', startMonth: '2026-01', endMonth: '' }, NOW), { domain: 'example.com', fromMonth: '2026-01', toMonth: '2026-01' });
    assert.deepEqual(usageQuery({ domainName: '', startMonth: '2024-12', endMonth: '2026-11' }, NOW), { domain: null, fromMonth: '2024-12', toMonth: '2026-11' });
  });

  const refusals: [string, { domainName?: string; startMonth?: string; endMonth?: string }, RegExp][] = [
    ['a month that is not YYYY-MM', { startMonth: '2026-1' }, /^start_month: must be a month such as 2026-11 \(YYYY-MM, UTC\), got "2026-1"$/],
    ['month 13', { startMonth: '2026-13' }, /^start_month: /],
    ['an end month that is not one', { startMonth: '2026-01', endMonth: 'now' }, /^end_month: must be a month/],
    ['an end before the start', { startMonth: '2026-03', endMonth: '2026-02' }, /^end_month: must not be before start_month \(2026-03\), got 2026-02$/],
    ['more than 24 months', { startMonth: '2024-11', endMonth: '2026-11' }, /^end_month: at most 24 months from start_month \(2024-11\), got 25$/],
    ['a domain that is not one', { domainName: 'a b' }, /^domain_name: /],
  ];
  for (const [name, req, message] of refusals) {
    it(`refuses ${name} with INVALID_ARGUMENT naming the field`, () => {
      assert.throws(() => usageQuery({ domainName: '', startMonth: '', endMonth: '', ...req }, NOW), (err: unknown) =>
        err instanceof ApiError && err.code === status.INVALID_ARGUMENT && message.test(err.message));
    });
  }

  it('answers minutes per format in a fixed order and the peak time in RFC 3339', () => {
    assert.deepEqual(toLiveRecordUsage({ domain: 'a', month: '2026-01', peakChannels: 2, peakAtMs: Date.parse('2026-01-05T10:00:00Z'), recordedMs: { mp4: 90_000, m3u8: 60_000, flv: 30_000 } }), {
      domainName: 'a', month: '2026-01', peakChannels: 2, peakTime: '2026-01-05T10:00:00Z',
      recordedMinutes: [{ format: 'm3u8', minutes: 1 }, { format: 'flv', minutes: 0.5 }, { format: 'mp4', minutes: 1.5 }],
    });
    assert.equal(toLiveRecordUsage({ domain: 'a', month: '2026-01', peakChannels: 0, peakAtMs: null, recordedMs: {} }).peakTime, '');
  });
});

describe('usage gauges', () => {
  it('cover last month and this one (UTC), across a year boundary', () => {
    assert.deepEqual(usageMonths(NOW), { fromMonth: '2026-10', toMonth: '2026-11' });
    assert.deepEqual(usageMonths(Date.parse('2026-01-01T00:00:00Z')), { fromMonth: '2025-12', toMonth: '2026-01' });
  });

  it('are one series per domain and month (and format); a domain not recording now shows 0 channels', () => {
    const families = usageFamilies({
      usage: [{ domain: 'a', month: '2026-11', peakChannels: 3, peakAtMs: NOW, recordedMs: { m3u8: 120_000 } }, { domain: 'b', month: '2026-10', peakChannels: 1, peakAtMs: NOW, recordedMs: {} }],
      live: [{ domain: 'a', channels: 2 }],
    });
    assert.deepEqual(families.map((f) => [f.name, f.samples]), [
      ['liverecord_usage_peak_recording_channels', [{ labels: { domain: 'a', month: '2026-11' }, value: 3 }, { labels: { domain: 'b', month: '2026-10' }, value: 1 }]],
      ['liverecord_usage_recorded_minutes', [{ labels: { domain: 'a', month: '2026-11', format: 'm3u8' }, value: 2 }]],
      ['liverecord_recording_channels', [{ labels: { domain: 'a' }, value: 2 }, { labels: { domain: 'b' }, value: 0 }]],
    ]);
  });

  describe('reading the index', () => {
    let nats: TestNats;
    let bus: Bus;
    let asked = 0;
    let answering = true;
    let servers: { stop(): void }[] = [];
    before(async () => {
      nats = await startNats();
      bus = await nats.bus('usage-units');
      servers = [
        serve<UsageQuery, UsageResult>(bus, SUBJECTS.indexRpc(INDEX_METHODS.usage), 'test', rootLogger(), async (q) => {
          asked++;
          if (!answering) throw new Error('catalogue unavailable');
          return { usage: [{ domain: 'a', month: q.toMonth, peakChannels: asked, peakAtMs: NOW, recordedMs: {} }] };
        }),
        serve<Record<string, never>, LiveChannels[]>(bus, SUBJECTS.indexRpc(INDEX_METHODS.liveChannels), 'test', rootLogger(), async () => []),
      ];
    });
    after(async () => {
      for (const s of servers) s.stop();
      await nats.stop();
    });

    it('asks once per refresh interval, however many scrapes come, and keeps the last reading when the index fails', async () => {
      let now = NOW;
      const m = new UsageMetrics(bus, rootLogger(), { refreshMs: 30_000, now: () => now });
      const [first, second] = await Promise.all([m.read(), m.read()]);
      assert.equal(asked, 1, 'concurrent scrapes share one reading');
      assert.deepEqual(first, second);
      now += 29_999;
      assert.equal((await m.read())?.usage[0].peakChannels, 1);
      assert.equal(asked, 1);
      now += 1;
      assert.equal((await m.read())?.usage[0].peakChannels, 2);
      answering = false;
      now += 30_000;
      assert.equal((await m.read())?.usage[0].peakChannels, 2, 'the last reading, while the index fails');
      assert.equal((await m.read())?.usage[0].peakChannels, 2);
      assert.equal(asked, 3, 'a failed reading is not retried at every scrape');
    });
  });
});
