// Trigger modes against the real system: real RTMP pushes, a real HTTP on-demand endpoint.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import * as pb from '../../../libs/proto/index.js';
import { ffprobe, grpcClient, makeTestMedia, push, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const DOMAIN = 'localhost';

interface OnDemandCall { stream: string; codec: string; vbitrate: string }

/** The customer's on-demand endpoint: what it answers depends on the stream name. */
function onDemandServer(calls: OnDemandCall[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const stream = u.searchParams.get('stream') ?? '';
    calls.push({ stream, codec: u.searchParams.get('codec') ?? '', vbitrate: u.searchParams.get('vbitrate') ?? '' });
    const json = (body: object) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (stream) {
      case 'od_allow': return json({ ApiVersion: '1.0', NeedRecord: true, Interval: { M3U8: 2 }, Format: ['M3U8'] });
      case 'od_deny': return json({ NeedRecord: false });
      case 'od_disjoint': return json({ NeedRecord: true, Format: ['flv'] });
      case 'od_empty': return json({ NeedRecord: true, Format: [] });
      case 'od_500': return res.writeHead(500).end('boom');
      case 'od_garbage': return res.writeHead(200).end('<html>not json</html>');
      case 'od_huge': return json({ NeedRecord: true, Pad: 'x'.repeat(4096) });
      case 'od_slow': { const t = setTimeout(() => json({ NeedRecord: true }), 5000); req.on('close', () => clearTimeout(t)); return; }
      default: return json({ NeedRecord: false });
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/on_demand` })));
}

describe('triggers - templates decide what is recorded', () => {
  let sys: RunningSystem;
  let client: pb.LiveRecordServiceClient;
  let od: { server: Server; url: string };
  const odCalls: OnDemandCall[] = [];
  const dataDir = tempDir('triggers');
  const media = makeTestMedia('h264-aac', 40);
  const rtmp = (stream: string, query = '') => `rtmp://127.0.0.1:${sys.ports.rtmp}/live/${stream}${query}`;
  const call = <Res>(method: string, msg: { fromPartial(o: object): object }, req: object) => unary<object, Res>(client, method, msg.fromPartial(req));
  const addTemplate = (stream: string, onDemand: number, extra: object = {}) =>
    call<pb.AddLiveAppRecordConfigResponse>('addLiveAppRecordConfig', pb.AddLiveAppRecordConfigRequest, {
      domainName: DOMAIN, appName: 'live', streamName: stream, onDemand, delayTime: 1,
      recordFormat: [{ format: 'm3u8', sliceDuration: 2, cycleDuration: 3600 }], ...extra,
    });
  const statusOf = (stream: string) => call<pb.DescribeLiveStreamRecordStatusResponse>('describeLiveStreamRecordStatus', pb.DescribeLiveStreamRecordStatusRequest, { domainName: DOMAIN, appName: 'live', streamName: stream });
  const decisionOf = (stream: string) => waitFor(`the decision for ${stream}`, async () => (await statusOf(stream).catch(() => null))?.lastDecision, 15000);
  const playlists = (stream: string) => {
    const dir = join(sys.storageRoot, 'record/live', stream);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.m3u8')).map((f) => join(dir, f)) : [];
  };
  const command = (stream: string, cmd: string) => call<pb.RealTimeRecordCommandResponse>('realTimeRecordCommand', pb.RealTimeRecordCommandRequest, { domainName: DOMAIN, appName: 'live', streamName: stream, command: cmd });

  before(async () => {
    od = await onDemandServer(odCalls);
    sys = await startSystem({ LR_DEFAULT_TEMPLATE: '0', LR_ON_DEMAND_TIMEOUT_MS: '1000' }, dataDir);
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    od?.server.close();
    assert.equal(await sys?.stop(), 0);
  });

  it('automatic, on-demand and ingest-parameter templates decide per publish', async () => {
    await addTemplate('auto', 0);
    for (const s of ['od_allow', 'od_deny', 'od_disjoint', 'od_empty', 'od_500', 'od_garbage', 'od_huge', 'od_slow']) await addTemplate(s, 1);
    for (const s of ['ip_true', 'ip_false', 'ip_bad', 'ip_none']) await addTemplate(s, 2);
    await call('addLiveRecordNotifyConfig', pb.AddLiveRecordNotifyConfigRequest, { domainName: DOMAIN, onDemandUrl: od.url });

    const param = (v: string) => `?record_config=${encodeURIComponent(v)}&callback_user=u1`;
    const pushes = [
      push(media, rtmp('auto'), { seconds: 8 }),
      ...['od_allow', 'od_deny', 'od_disjoint', 'od_empty', 'od_500', 'od_garbage', 'od_huge', 'od_slow'].map((s) => push(media, rtmp(s), { seconds: 8 })),
      push(media, rtmp('ip_true', param('{"NeedRecord":true}')), { seconds: 8 }),
      push(media, rtmp('ip_false', param('{"NeedRecord":false}')), { seconds: 8 }),
      push(media, rtmp('ip_bad', param('{NeedRecord:true')), { seconds: 8 }),
      push(media, rtmp('ip_none'), { seconds: 8 }),
      push(media, rtmp('untemplated'), { seconds: 8 }),
    ];

    const expected: Record<string, [boolean, string]> = {
      auto: [true, 'recording'], od_allow: [true, 'recording'], od_deny: [false, 'on_demand_denied'],
      od_disjoint: [false, 'on_demand_no_common_format'], od_empty: [false, 'on_demand_no_common_format'],
      od_500: [false, 'on_demand_failed'], od_garbage: [false, 'on_demand_failed'], od_huge: [false, 'on_demand_failed'], od_slow: [false, 'on_demand_failed'],
      ip_true: [true, 'recording'], ip_false: [false, 'ingest_param_false'], ip_bad: [false, 'ingest_param_malformed'], ip_none: [false, 'ingest_param_missing'],
      untemplated: [false, 'no_template'],
    };
    for (const [stream, [record, reason]] of Object.entries(expected)) {
      const d = await decisionOf(stream);
      assert.equal(d.reason, reason, `${stream}: ${d.detail}`);
      assert.equal(d.record, record, stream);
    }
    assert.match((await decisionOf('od_500')).detail, /HTTP 500/);
    assert.match((await decisionOf('od_slow')).detail, /no answer within 1000 ms/);
    assert.match((await decisionOf('od_huge')).detail, /larger than 2048 bytes/);
    assert.match((await decisionOf('od_garbage')).detail, /not JSON/);
    const allow = await decisionOf('od_allow');
    assert.deepEqual(allow.formats, [{ format: 'm3u8', cycleDuration: 2 }], 'Interval overrides the cycle');
    const asked = odCalls.find((c) => c.stream === 'od_allow');
    assert.equal(asked?.codec, 'h264');
    assert.ok(Number(asked?.vbitrate) > 0, 'the encoder bitrate is passed on');

    // A stream that matched a template but is not recording still has an actor waiting for a start command.
    const denied = await statusOf('od_deny');
    assert.equal(denied.hasActor, true);
    assert.equal(denied.state, 'idle');
    const none = await statusOf('untemplated');
    assert.equal(none.hasActor, false);

    await Promise.all(pushes.map((p) => p.done));
    for (const stream of ['auto', 'od_allow', 'ip_true']) {
      const files = await waitFor(`files of ${stream}`, () => playlists(stream).length > 0 && playlists(stream), 20000);
      for (const f of files) assert.deepEqual(ffprobe(f).streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    }
    assert.ok(playlists('od_allow').length >= 3, `a 2 s Interval cycles the 8 s push into several files, got ${playlists('od_allow').length}`);
    for (const stream of ['od_deny', 'od_disjoint', 'od_empty', 'od_500', 'od_garbage', 'od_huge', 'od_slow', 'ip_false', 'ip_bad', 'ip_none', 'untemplated']) {
      assert.equal(playlists(stream).length, 0, `${stream} recorded nothing`);
    }
  });

  it('manual: nothing records until start; stop finalizes one playable file', async () => {
    await addTemplate('manual', 7);
    const p = push(media, rtmp('manual'), { seconds: 14 });
    const d = await decisionOf('manual');
    assert.equal(d.reason, 'manual_wait');
    // An absence to show, so no event to wait for: a GOP (2 s) of media flows, after which a
    // wrongly started recording would have opened its first segment.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(playlists('manual').length, 0);
    const started = await command('manual', 'start');
    assert.equal(started.state, 'recording');
    // The scenario itself: about 6 s recorded between start and stop (checked below).
    await new Promise((r) => setTimeout(r, 6000));
    const stopped = await command('manual', 'stop');
    assert.ok(['finalizing', 'idle'].includes(stopped.state), stopped.state);
    const files = await waitFor('the manual recording', () => playlists('manual').length > 0 && playlists('manual'), 15000);
    assert.equal(files.length, 1);
    const duration = Number(ffprobe(files[0]).format.duration);
    assert.ok(duration >= 3 && duration <= 9, `about 6 s recorded, got ${duration}`);
    const again = await command('manual', 'stop').then(() => null, (e: ServiceError) => e);
    assert.equal(again?.code, status.FAILED_PRECONDITION);
    assert.match(again?.details ?? '', /idle/);
    await p.done;
  });

  it('a template created while a stream is live does not affect it; the next publish is', async () => {
    const first = push(media, rtmp('late'), { seconds: 6 });
    assert.equal((await decisionOf('late')).reason, 'no_template');
    await addTemplate('late', 0);
    await first.done;
    // An absence to show: past the first publish's end, the new template must not have recorded it.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(playlists('late').length, 0);
    await push(media, rtmp('late'), { seconds: 5 }).done;
    await waitFor('the second publish recorded', () => playlists('late').length === 1, 20000);
  });

  it('template management answers with the right status codes', async () => {
    const err = async (p: Promise<unknown>) => p.then(() => null, (e: ServiceError) => e);
    const dup = await err(addTemplate('auto', 0));
    assert.equal(dup?.code, status.ALREADY_EXISTS);
    const vodSameKey = await err(call('addLiveRecordVodConfig', pb.AddLiveRecordVodConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: 'auto', recordFormat: [{ format: 'm3u8' }] }));
    assert.equal(vodSameKey?.code, status.ALREADY_EXISTS);
    assert.match(vodSameKey?.details ?? '', /object-storage template .* already exists/);
    const bad = await err(addTemplate('x1', 0, { delayTime: 30000 }));
    assert.equal(bad?.code, status.INVALID_ARGUMENT);
    assert.match(bad?.details ?? '', /^delay_time: must be/);
    const tooMany = await err(addTemplate('x1', 0, { transcodeTemplates: Array.from({ length: 11 }, (_, i) => `t${i}`), transcodeRecordFormat: [{ format: 'm3u8' }] }));
    assert.equal(tooMany?.code, status.INVALID_ARGUMENT);
    assert.match(tooMany?.details ?? '', /^transcode_templates: at most 10/);
    const missing = await err(call('updateLiveAppRecordConfig', pb.UpdateLiveAppRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: 'nope', recordFormat: [{ format: 'm3u8' }] }));
    assert.equal(missing?.code, status.NOT_FOUND);
    const delMissing = await err(call('deleteLiveAppRecordConfig', pb.DeleteLiveAppRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: 'nope' }));
    assert.equal(delMissing?.code, status.NOT_FOUND);

    const updated = await call<pb.UpdateLiveAppRecordConfigResponse>('updateLiveAppRecordConfig', pb.UpdateLiveAppRecordConfigRequest, {
      domainName: DOMAIN, appName: 'live', streamName: 'auto', delayTime: 30, recordFormat: [{ format: 'm3u8', cycleDuration: 900 }],
    });
    assert.equal(updated.config?.delayTime, 30);
    const list = await call<pb.DescribeLiveRecordConfigResponse>('describeLiveRecordConfig', pb.DescribeLiveRecordConfigRequest, { domainName: DOMAIN, pageSize: 5 });
    assert.equal(list.totalNum, 15);
    assert.equal(list.totalPage, 3);
    assert.equal(list.liveAppRecordList.length, 5);
    const one = await call<pb.DescribeLiveRecordConfigResponse>('describeLiveRecordConfig', pb.DescribeLiveRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: 'auto' });
    assert.equal(one.totalNum, 1);
    assert.equal(one.liveAppRecordList[0].recordFormat[0].cycleDuration, 900);

    const vod = await call<pb.AddLiveRecordVodConfigResponse>('addLiveRecordVodConfig', pb.AddLiveRecordVodConfigRequest, { domainName: DOMAIN, appName: 'vodapp', streamName: '*', spaceId: 'space-1', recordFormat: [{ format: 'm3u8', autoCompose: true }] });
    assert.equal(vod.config?.spaceId, 'space-1');
    const vods = await call<pb.DescribeLiveRecordVodConfigsResponse>('describeLiveRecordVodConfigs', pb.DescribeLiveRecordVodConfigsRequest, { domainName: DOMAIN });
    assert.equal(vods.totalNum, 1);
    await call('deleteLiveRecordVodConfig', pb.DeleteLiveRecordVodConfigRequest, { domainName: DOMAIN, appName: 'vodapp', streamName: '*' });

    const notify = await call<pb.DescribeLiveRecordNotifyConfigResponse>('describeLiveRecordNotifyConfig', pb.DescribeLiveRecordNotifyConfigRequest, { domainName: DOMAIN });
    assert.equal(notify.liveRecordNotifyConfig?.onDemandUrl, od.url);
    const badNotify = await err(call('addLiveRecordNotifyConfig', pb.AddLiveRecordNotifyConfigRequest, { domainName: DOMAIN, notifyUrl: 'ftp://x' }));
    assert.equal(badNotify?.code, status.INVALID_ARGUMENT);
    assert.match(badNotify?.details ?? '', /^notify_url/);
  });

  it('templates survive a restart of the whole system', async () => {
    assert.equal(await sys.stop(), 0);
    client.close();
    sys = await startSystem({ LR_DEFAULT_TEMPLATE: '0', LR_ON_DEMAND_TIMEOUT_MS: '1000' }, dataDir);
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    const one = await call<pb.DescribeLiveRecordConfigResponse>('describeLiveRecordConfig', pb.DescribeLiveRecordConfigRequest, { domainName: DOMAIN, appName: 'live', streamName: 'auto' });
    assert.equal(one.totalNum, 1);
    assert.equal(one.liveAppRecordList[0].delayTime, 30);
    await push(media, rtmp('ip_true', `?record_config=${encodeURIComponent('{"NeedRecord":true}')}`), { seconds: 4 }).done;
    await waitFor('a recording after the restart', () => playlists('ip_true').length === 2, 20000);
  });
});
