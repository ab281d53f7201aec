// Usage figures through the running system: DescribeLiveRecordUsage over gRPC on a seeded
// catalogue and on a real RTMP push, its input checks and scope, and the usage gauges at
// /metrics (those the Grafana dashboard draws among them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLiveRecordClient, LiveRecordError, type LiveRecordClient } from '../../../libs/client/index.js';
import { makeTestMedia, push, REPO_ROOT, seedCatalogue, startSystem, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const MIN = 60_000;
const JAN = Date.parse('2026-01-01T00:00:00Z');
const FEB = Date.parse('2026-02-01T00:00:00Z');
const thisMonth = () => new Date().toISOString().slice(0, 7);

/** The value of a gauge series whose labels include all of `labels`, or undefined. */
function gauge(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => m[2].includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

describe('usage figures - gRPC and /metrics against the running system', () => {
  let sys: RunningSystem;
  let client: LiveRecordClient;
  const metrics = async () => (await fetch(`http://127.0.0.1:${sys.ports.http}/metrics`)).text();

  before(async () => {
    sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1', LR_USAGE_METRICS_REFRESH_SECONDS: '1' });
    client = createLiveRecordClient({ address: `127.0.0.1:${sys.ports.grpc}`, apiKey: sys.adminKey });
    // localhost: two streams in January, overlapping from 00:10 to 00:20; usage.example: one stream on the 1st of February.
    const stream = (domain: string, name: string) => ({ domain, app: 'live', stream: name });
    await seedCatalogue(sys.natsUrl, { stream: stream('localhost', 'a'), recordingId: 'r-usage-a', startMs: JAN, segments: 30, segmentMs: MIN, files: 1, fileMs: 30 * MIN });
    await seedCatalogue(sys.natsUrl, { stream: stream('localhost', 'b'), recordingId: 'r-usage-b', startMs: JAN + 10 * MIN, segments: 10, segmentMs: MIN, files: 1, fileMs: 10 * MIN });
    await seedCatalogue(sys.natsUrl, { stream: stream('usage.example', 'c'), recordingId: 'r-usage-c', startMs: FEB, segments: 5, segmentMs: MIN, files: 1, fileMs: 5 * MIN });
    // And this month, which /metrics reports.
    await seedCatalogue(sys.natsUrl, { stream: stream('usage.example', 'd'), recordingId: 'r-usage-d', startMs: Date.now() - 10 * MIN, segments: 5, segmentMs: MIN, files: 1, fileMs: 5 * MIN });
  });

  after(async () => {
    client?.close();
    await sys?.stop();
  });

  it('answers peak channels (and when) and minutes per format, per domain and month', async () => {
    const usage = await waitFor('the seeded figures', async () => {
      const r = await client.describeLiveRecordUsage({ startMonth: '2026-01', endMonth: '2026-02' });
      return r.usageList.length === 2 && r.usageList[1].recordedMinutes.length ? r.usageList : null;
    });
    assert.deepEqual(usage, [
      { domainName: 'localhost', month: '2026-01', peakChannels: 2, peakTime: '2026-01-01T00:10:00Z', recordedMinutes: [{ format: 'm3u8', minutes: 40 }] },
      { domainName: 'usage.example', month: '2026-02', peakChannels: 1, peakTime: '2026-02-01T00:00:00Z', recordedMinutes: [{ format: 'm3u8', minutes: 5 }] },
    ]);
    const one = await client.describeLiveRecordUsage({ domainName: 'USAGE.example', startMonth: '2026-01', endMonth: '2026-02' });
    assert.deepEqual(one.usageList.map((u) => [u.domainName, u.month, u.peakChannels, u.peakTime]), [
      ['usage.example', '2026-01', 0, ''], ['usage.example', '2026-02', 1, '2026-02-01T00:00:00Z'],
    ], 'a named domain: every month of the range, zeros included');
  });

  it('refuses bad input with INVALID_ARGUMENT naming the field', async () => {
    const refused = async (req: Parameters<LiveRecordClient['describeLiveRecordUsage']>[0], message: RegExp) => {
      const err = await client.describeLiveRecordUsage(req).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof LiveRecordError, `refused: ${JSON.stringify(req)}`);
      assert.equal(err.codeName, 'INVALID_ARGUMENT');
      assert.match(err.details, message);
    };
    await refused({ startMonth: 'January' }, /^start_month: must be a month such as 2026-11/);
    await refused({ startMonth: '2026-13' }, /^start_month: /);
    await refused({ startMonth: '2026-03', endMonth: '2026-02' }, /^end_month: must not be before start_month \(2026-03\)/);
    await refused({ startMonth: '2024-01', endMonth: '2026-01' }, /^end_month: at most 24 months/);
    await refused({ domainName: 'not a domain' }, /^domain_name: /);
  });

  it('needs an API key with the read scope', async () => {
    const { apiKey } = await client.createApiKey({ name: 'usage-reader', scope: 'read' });
    const reader = createLiveRecordClient({ address: client.address, apiKey });
    const nobody = createLiveRecordClient({ address: client.address });
    try {
      assert.ok(Array.isArray((await reader.describeLiveRecordUsage({ startMonth: '2026-01' })).usageList));
      const err = await nobody.describeLiveRecordUsage({}).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof LiveRecordError);
      assert.equal(err.codeName, 'UNAUTHENTICATED');
    } finally {
      reader.close();
      nobody.close();
    }
  });

  it('a live push: a recording channel now, in this month\'s peak; its minutes once its file is stored', async () => {
    const month = thisMonth();
    const pusher = push(makeTestMedia('h264-aac', 12), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/usage-live`);
    try {
      await waitFor('liverecord_recording_channels{domain="localhost"} 1', async () => gauge(await metrics(), 'liverecord_recording_channels', { domain: 'localhost' }) === 1, 30000);
      const now = await client.describeLiveRecordUsage({ domainName: 'localhost' });
      assert.equal(now.usageList.length, 1);
      assert.equal(now.usageList[0].month, month);
      assert.equal(now.usageList[0].peakChannels, 1, 'the live recording counts up to now');
      await waitFor('this month\'s peak at /metrics', async () => gauge(await metrics(), 'liverecord_usage_peak_recording_channels', { domain: 'localhost', month }) === 1);
      assert.equal(await pusher.done, 0, 'the push completes');
    } finally {
      pusher.kill();
    }
    const minutes = await waitFor('the recording\'s minutes at /metrics', async () => {
      const text = await metrics();
      const m3u8 = gauge(text, 'liverecord_usage_recorded_minutes', { domain: 'localhost', month, format: 'm3u8' });
      return m3u8 !== undefined && gauge(text, 'liverecord_recording_channels', { domain: 'localhost' }) === 0 ? m3u8 : null;
    }, 30000);
    assert.ok(minutes > 0.1 && minutes < 0.3, `about 12 s recorded, got ${minutes} min`);
    const after = await client.describeLiveRecordUsage({ domainName: 'localhost' });
    assert.deepEqual(after.usageList[0].recordedMinutes.map((r) => r.format), ['m3u8']);
    assert.ok(Math.abs(after.usageList[0].recordedMinutes[0].minutes - minutes) < 1e-9, 'gRPC and /metrics agree');
  });

  it('exposes every usage metric the Grafana dashboard draws', async () => {
    const dashboard = readFileSync(join(REPO_ROOT, 'deploy/grafana/liverecord-dashboard.json'), 'utf8');
    const drawn = [...new Set(dashboard.match(/liverecord_(usage_\w+|recording_channels)\b/g) ?? [])].sort();
    assert.deepEqual(drawn, ['liverecord_recording_channels', 'liverecord_usage_peak_recording_channels', 'liverecord_usage_recorded_minutes']);
    // The seeded catalogue has domains to report (its events may still be on their way).
    await waitFor(`${drawn.join(', ')} at /metrics`, async () => {
      const text = await metrics();
      return drawn.every((name) => new RegExp(`^${name}\\{`, 'm').test(text));
    });
  });
});
