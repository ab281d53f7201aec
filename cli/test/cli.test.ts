// The `liverecord` CLI against the real system: every subcommand runs as a child
// process (`node cli/liverecord.mjs …`) with sensible arguments; exit codes, tables,
// local/UTC times, --json output and gRPC errors are checked. A method of the service
// without a subcommand fails the first test; one never run here fails the last.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLiveRecordClient, METHOD_NAMES, rpcName, type LiveRecordClient } from '../../libs/client/index.js';
import { freePort, makeTestMedia, push, seedCatalogue, startSystem, waitFor, type RunningSystem } from '../../test-kit/index.js';
import { cleanEnv, runCli, type CliResult } from './run-cli.js';

/** +05:30 all year round (no DST), so local times in the output are predictable. */
const TZ = 'Asia/Kolkata';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SEEDED = ['--domain-name', 'localhost', '--app-name', 'live', '--stream-name', 'seeded'];
const DAY = ['--start-time', '2025-12-31T00:00:00Z', '--end-time', '2026-01-02T00:00:00Z'];
const DOMAIN = 'cli.example.com';

/** The command name a method must have, computed here independently of the CLI. */
const commandOf = (method: (typeof METHOD_NAMES)[number]) => rpcName(method).replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());

describe('liverecord CLI against the running system', () => {
  let sys: RunningSystem;
  let server: string;
  let client: LiveRecordClient;
  const ran = new Set<string>();

  const cli = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    // The key is found the way a user's shell finds it: admin.key in the system's data directory.
    const r = await runCli([...args, '--server', server], { env: cleanEnv({ TZ, LR_DATA_DIR: sys.dataDir, ...env }) });
    // A subcommand counts as run only when the system answered it: success or the server's gRPC status
    // (a usage error never leaves the CLI; UNAVAILABLE never reached a handler).
    if (r.code === 0 || (r.code === 1 && /^(?!UNAVAILABLE\b)[A-Z_]+: /.test(r.stderr))) ran.add(args[0]);
    return r;
  };
  const ok = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const r = await cli(args, env);
    assert.equal(r.code, 0, `liverecord ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    assert.equal(r.stderr, '', 'nothing on stderr');
    return r.stdout;
  };
  const fails = async (args: string[], code: number, stderr: RegExp): Promise<CliResult> => {
    const r = await cli(args);
    assert.equal(r.code, code, `liverecord ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    assert.match(r.stderr, stderr);
    assert.equal(r.stdout, '');
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '--json'])) as T;

  before(async () => {
    sys = await startSystem();
    server = `127.0.0.1:${sys.ports.grpc}`;
    client = createLiveRecordClient({ address: server, apiKey: sys.adminKey });
    // 30 segments of 2 s and three one-minute files from 2026-01-01T00:00:00Z.
    await seedCatalogue(sys.natsUrl, { stream: { domain: 'localhost', app: 'live', stream: 'seeded' }, recordingId: 'r-cli', startMs: T0, segments: 30, files: 3 });
    await waitFor('the seeded files in the catalogue', async () =>
      (await client.describeLiveStreamRecordIndexFiles({ domainName: 'localhost', appName: 'live', streamName: 'seeded', startTime: '2025-12-31T00:00:00Z', endTime: '2026-01-02T00:00:00Z' })).totalNum === 3);
  });

  after(async () => {
    client?.close();
    await sys?.stop();
  });

  it('has a subcommand for every gRPC method, listed by help with its description', async () => {
    const r = await runCli(['help']);
    assert.equal(r.code, 0);
    const missing = METHOD_NAMES.map(commandOf).filter((name) => !new RegExp(`^  ${name}  +\\S.{10,}$`, 'm').test(r.stdout));
    assert.deepEqual(missing, [], `methods without a subcommand in \`liverecord help\`:\n${r.stdout}`);
    for (const m of METHOD_NAMES) {
      const h = await runCli(['help', commandOf(m)]);
      assert.equal(h.code, 0, h.stderr);
      assert.match(h.stdout, new RegExp(`gRPC: liverecord\\.v1\\.LiveRecordService/${rpcName(m)}`));
    }
  });

  it('object-storage templates: add, describe, update, delete', async () => {
    const key = ['--domain-name', DOMAIN, '--app-name', 'cliapp', '--stream-name', '*'];
    const added = await ok(['add-live-app-record-config', ...key, '--on-demand', '0', '--record-format', '[{"format":"m3u8","slice_duration":10,"cycle_duration":3600}]']);
    assert.match(added, /^config:$/m);
    assert.match(added, /^ {2}app_name: +cliapp$/m);
    assert.match(added, /record_format: +format=m3u8 .*cycle_duration=3600 slice_duration=10/);

    const listed = await ok(['describe-live-record-config', '--domain-name', DOMAIN]);
    const [head, row] = listed.split('\n');
    assert.match(head, /^DOMAIN NAME +APP NAME +STREAM NAME +ON DEMAND +DELAY TIME +RECORD FORMAT +OSS BUCKET +CREATE TIME$/);
    assert.match(row, new RegExp(`^${DOMAIN} +cliapp +\\* +0 +180 +format=m3u8 cycle_duration=3600 slice_duration=10 +- +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?\\+05:30$`));
    assert.match(listed, /total_num: 1 /);

    await ok(['update-live-app-record-config', ...key, '--delay-time', '60', '--record-format', '{"format":"flv","cycle_duration":3600}']);
    const updated = await json<{ liveAppRecordList: { delayTime: number; recordFormat: { format: string }[] }[]; totalNum: number }>(['describe-live-record-config', '--domain-name', DOMAIN]);
    assert.equal(updated.totalNum, 1);
    assert.equal(updated.liveAppRecordList[0].delayTime, 60);
    assert.deepEqual(updated.liveAppRecordList[0].recordFormat.map((f) => f.format), ['flv']);

    assert.equal(await ok(['delete-live-app-record-config', ...key]), 'OK\n');
    assert.match(await ok(['describe-live-record-config', '--domain-name', DOMAIN]), /^DOMAIN NAME .*\n\(none\)\n\ntotal_num: 0 /);
  });

  it('takes a whole request with --json (flags override it); an unknown API key is refused', async () => {
    const request = JSON.stringify({ domain_name: DOMAIN, app_name: 'jsonapp', stream_name: 's', record_format: [{ format: 'mp4', cycle_duration: 900 }] });
    const refused = await cli(['add-live-app-record-config', '--json', request], { LIVERECORD_API_KEY: 'not-a-key' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^UNAUTHENTICATED: /);
    assert.doesNotMatch(refused.stderr, /not-a-key/);
    await ok(['add-live-app-record-config', '--json', request, '--stream-name', 's2']);
    const got = await json<{ liveAppRecordList: { streamName: string; recordFormat: { format: string }[] }[] }>(['describe-live-record-config', '--domain-name', DOMAIN, '--app-name', 'jsonapp']);
    assert.deepEqual(got.liveAppRecordList.map((t) => [t.streamName, t.recordFormat[0].format]), [['s2', 'mp4']]);
    await ok(['delete-live-app-record-config', '--domain-name', DOMAIN, '--app-name', 'jsonapp', '--stream-name', 's2']);
  });

  it('media-library templates: add, describe, delete', async () => {
    const key = ['--domain-name', DOMAIN, '--app-name', 'vod', '--stream-name', 's1'];
    assert.match(await ok(['add-live-record-vod-config', ...key, '--record-format', '[{"format":"m3u8","slice_duration":10}]']), /record_format: +format=m3u8 slice_duration=10/);
    assert.match(await ok(['describe-live-record-vod-configs', '--domain-name', DOMAIN]), new RegExp(`^${DOMAIN} +vod +s1 +- +0 +format=m3u8 slice_duration=10 `, 'm'));
    assert.equal(await ok(['delete-live-record-vod-config', ...key]), 'OK\n');
    assert.match(await ok(['describe-live-record-vod-configs', '--domain-name', DOMAIN]), /\(none\)/);
  });

  it('callbacks: add, describe (the key is never shown), delete', async () => {
    await ok(['add-live-record-notify-config', '--domain-name', DOMAIN, '--notify-url', 'http://127.0.0.1:9/cb', '--need-status-notify', '--auth-key', 'a-long-secret']);
    const shown = await ok(['describe-live-record-notify-config', '--domain-name', DOMAIN]);
    assert.match(shown, /notify_url: +http:\/\/127\.0\.0\.1:9\/cb/);
    assert.match(shown, /need_status_notify: +true/);
    assert.match(shown, /auth_key_set: +true/);
    assert.doesNotMatch(shown, /a-long-secret/);
    await ok(['delete-live-record-notify-config', '--domain-name', DOMAIN]);
    await fails(['describe-live-record-notify-config', '--domain-name', DOMAIN], 1, /^NOT_FOUND: .+/);
  });

  it('record files: listed in local time or UTC, one by id, content ranges, a clip, deleted', async () => {
    const local = await ok(['describe-live-stream-record-index-files', ...SEEDED, ...DAY]);
    assert.match(local, /^RECORD ID +FORMAT +START TIME +END TIME +DURATION +RECORD URL$/m);
    assert.match(local, /^r-cli-m3u8-0 +m3u8 +2026-01-01T05:30:00\+05:30 +2026-01-01T05:31:00\+05:30 +60 +http:\/\/\S+file-0\.m3u8$/m);
    assert.match(local, /total_num: 3 {3}page_num: 1/);
    assert.match(await ok(['describe-live-stream-record-index-files', ...SEEDED, ...DAY, '--utc']), /^r-cli-m3u8-2 +m3u8 +2026-01-01T00:02:00Z +2026-01-01T00:03:00Z /m);
    // Local input: 05:30..05:31 in Asia/Kolkata is the first minute of 2026 in UTC.
    const narrow = await json<{ recordIndexInfoList: { recordId: string }[] }>(['describe-live-stream-record-index-files', ...SEEDED, '--start-time', '2026-01-01 05:30', '--end-time', '2026-01-01 05:30:30']);
    assert.deepEqual(narrow.recordIndexInfoList.map((r) => r.recordId), ['r-cli-m3u8-0']);

    assert.match(await ok(['describe-live-stream-record-index-file', ...SEEDED, '--record-id', 'r-cli-m3u8-1', '--utc']), /^ {2}start_time: +2026-01-01T00:01:00Z$/m);
    assert.equal(await ok(['describe-live-stream-record-content', ...SEEDED, ...DAY, '--utc']), 'START TIME            END TIME              DURATION\n2026-01-01T00:00:00Z  2026-01-01T00:01:00Z  60\n');

    const clip = await json<{ recordInfo: { recordId: string; ossObject: string }; segmentCount: number }>(['create-live-stream-record-index-files', ...SEEDED, '--oss-object', 'clips/cli', '--start-time', '2026-01-01T00:00:00Z', '--end-time', '2026-01-01T00:00:20Z', '--end-time-included']);
    assert.equal(clip.segmentCount, 10);
    assert.equal(clip.recordInfo.ossObject, 'clips/cli.m3u8');
    assert.match(await ok(['describe-live-stream-record-index-file', ...SEEDED, '--record-id', clip.recordInfo.recordId]), /oss_object: +clips\/cli\.m3u8/);

    const deleted = await ok(['delete-live-stream-record-index-files', ...SEEDED, '--record-id', clip.recordInfo.recordId, '--record-id', 'no-such-record', '--remove-file']);
    assert.match(deleted, /^RECORD ID +MESSAGE$/m);
    assert.match(deleted, new RegExp(`^${clip.recordInfo.recordId} +OK$`, 'm'));
    assert.match(deleted, /^no-such-record +NOT_FOUND$/m);
    assert.match(deleted, /deleted_objects: [1-9]/);
    await fails(['describe-live-stream-record-index-file', ...SEEDED, '--record-id', clip.recordInfo.recordId], 1, /^NOT_FOUND: .+/);
  });

  it('a stream with no recordings: empty tables; --json parses', async () => {
    const empty = ['--domain-name', 'localhost', '--app-name', 'live', '--stream-name', 'never-recorded'];
    const files = await ok(['describe-live-stream-record-index-files', ...empty, ...DAY]);
    assert.match(files, /^RECORD ID +FORMAT +START TIME +END TIME +DURATION +RECORD URL\n\(none\)\n\ntotal_num: 0 /);
    const parsed = await json<{ recordIndexInfoList: unknown[]; totalNum: number }>(['describe-live-stream-record-index-files', ...empty, ...DAY]);
    assert.deepEqual([parsed.recordIndexInfoList, parsed.totalNum], [[], 0]);
    assert.equal(await ok(['describe-live-stream-record-content', ...empty, ...DAY]), 'START TIME  END TIME  DURATION\n(none)\n');
  });

  it('a live stream: its status and commands; a stream that is not live: the gRPC error', async () => {
    const live = ['--domain-name', 'localhost', '--app-name', 'live', '--stream-name', 'cli-live'];
    const pusher = push(makeTestMedia('h264-aac', 20), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/cli-live`);
    try {
      await waitFor('the pushed stream to record', async () =>
        (await client.describeLiveStreamRecordStatus({ domainName: 'localhost', appName: 'live', streamName: 'cli-live' })).state === 'recording', 20000);
      const status = await ok(['describe-live-stream-record-status', ...live]);
      assert.match(status, /^has_actor: +true$/m);
      assert.match(status, /^state: +recording$/m);
      assert.match(status, /^last_decision:\n {2}record: +true\n {2}reason: +recording$/m);
      assert.match(status, /^ {2}decide_time: +\S+\+05:30$/m);
      assert.match(await ok(['real-time-record-command', ...live, '--command', 'restart']), /^state: +recording$/m);
      assert.match(await ok(['real-time-record-command', ...live, '--command', 'stop']), /^state: +\w+\nrecording_id: +\S+$/m);
    } finally {
      pusher.kill();
    }
    await fails(['real-time-record-command', ...SEEDED, '--command', 'stop'], 1, /^FAILED_PRECONDITION: .+\n$/);
    await fails(['describe-live-stream-record-status', '--domain-name', 'localhost', '--app-name', 'live', '--stream-name', 'never-published'], 1, /^NOT_FOUND: .+/);
  });

  it('API keys: create (shown once), list (never the key), a read key cannot mutate, revoke', async () => {
    const created = await json<{ keyInfo: { keyId: string; scope: string }; apiKey: string }>(['create-api-key', '--name', 'viewer', '--scope', 'read']);
    assert.equal(created.keyInfo.scope, 'read');
    assert.match(created.apiKey, /^lrk_/);
    const listed = await ok(['list-api-keys']);
    assert.match(listed, new RegExp(`^${created.keyInfo.keyId} +viewer +read `, 'm'));
    assert.doesNotMatch(listed, /lrk_/);
    const asViewer = { LIVERECORD_API_KEY: created.apiKey };
    assert.match(await ok(['describe-live-record-config', '--domain-name', DOMAIN], asViewer), /^DOMAIN NAME/);
    const denied = await cli(['delete-live-record-notify-config', '--domain-name', DOMAIN], asViewer);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^PERMISSION_DENIED: /);
    assert.equal(await ok(['revoke-api-key', '--key-id', created.keyInfo.keyId]), 'OK\n');
    const revoked = await cli(['describe-live-record-config', '--domain-name', DOMAIN], asViewer);
    assert.match(revoked.stderr, /^UNAUTHENTICATED: /);
  });

  it('publish authentication: set keys, describe (the keys are never shown)', async () => {
    assert.equal(await ok(['set-publish-auth-keys', '--domain-name', DOMAIN, '--primary-key', 'primary-key-0123456789', '--secondary-key', 'secondary-key-0123456789']), 'OK\n');
    const shown = await ok(['describe-publish-auth', '--domain-name', DOMAIN]);
    assert.match(shown, /^required: +true$/m);
    assert.match(shown, /^primary_key_set: +true$/m);
    assert.match(shown, /^source: +api$/m);
    assert.doesNotMatch(shown, /primary-key-0123456789|secondary-key-0123456789/);
  });

  it('usage figures: a row per domain and month, minutes per format, the peak time in local time or UTC', async () => {
    const local = await ok(['describe-live-record-usage', '--domain-name', 'localhost', '--start-month', '2025-12', '--end-month', '2026-01']);
    assert.equal(local, [
      'DOMAIN NAME  MONTH    PEAK CHANNELS  PEAK TIME                  RECORDED MINUTES',
      'localhost    2025-12  0              -                          -',
      'localhost    2026-01  1              2026-01-01T05:30:00+05:30  m3u8 3',
      '',
    ].join('\n'));
    assert.match(await ok(['describe-live-record-usage', '--domain-name', 'localhost', '--start-month', '2026-01', '--utc']), /^localhost +2026-01 +1 +2026-01-01T00:00:00Z +m3u8 3$/m);
    const parsed = await json<{ usageList: { recordedMinutes: { format: string; minutes: number }[] }[] }>(['describe-live-record-usage', '--domain-name', 'localhost', '--start-month', '2026-01']);
    assert.deepEqual(parsed.usageList[0].recordedMinutes, [{ format: 'm3u8', minutes: 3 }]);
    await fails(['describe-live-record-usage', '--start-month', '2026-1'], 1, /^INVALID_ARGUMENT: start_month: must be a month such as 2026-11/);
  });

  it('usage errors exit 2 naming the flag; an unreachable server exits 1 with UNAVAILABLE', async () => {
    await fails(['describe-live-record-config', '--domian-name', 'x'], 2, /unknown flag --domian-name \(did you mean --domain-name\?\)/);
    await fails(['describe-live-record-config', '--page-num', 'two'], 2, /--page-num: expected a number, got 'two'/);
    await fails(['add-live-app-record-config', '--record-format', '[{"formt":"m3u8"}]'], 2, /--record-format\[0\]: unknown field "formt"/);
    await fails(['describe-live-stream-record-index-files', '--start-time', 'yesterday'], 2, /--start-time: not a time: 'yesterday'/);
    await fails(['no-such-command'], 2, /unknown command 'no-such-command'/);
    const closed = await freePort();
    const r = await runCli(['describe-live-record-config', '--domain-name', DOMAIN, '--server', `127.0.0.1:${closed}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^UNAVAILABLE: /);
  });

  it('runs as `npx liverecord` in the checkout', async () => {
    const r = await runCli(['describe-live-record-vod-configs', '--domain-name', DOMAIN, '--server', server], { command: ['npx', '--offline', 'liverecord'], env: cleanEnv({ LR_DATA_DIR: sys.dataDir }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DOMAIN NAME +APP NAME/);
  });

  it('media library: categories, processing template groups, assets and tasks', async () => {
    const cat = await json<{ category: { cateId: string } }>(['add-category', '--cate-name', 'cli-sports']);
    assert.match(await ok(['get-categories']), /cli-sports/);
    const group = await json<{ transcodeTemplateGroup: { transcodeTemplateGroupId: string } }>(['add-transcode-template-group', '--name', 'cli-sd', '--transcode-template-list', '[{"definition":"360p","height":360}]']);
    const gid = group.transcodeTemplateGroup.transcodeTemplateGroupId;
    assert.match(await ok(['list-transcode-template-group']), /cli-sd/);
    assert.equal((await json<{ total?: number }>(['search-media', '--cate-id', cat.category.cateId])).total ?? 0, 0);
    await fails(['get-video-info', '--video-id', 'vnone'], 1, /^NOT_FOUND: video_id: video vnone not found/);
    await fails(['update-video-info', '--video-id', 'vnone', '--title', 'x'], 1, /^NOT_FOUND: video_id: /);
    assert.deepEqual((await json<{ nonExistVideoIds: string[] }>(['delete-video', '--video-ids', '["vnone"]'])).nonExistVideoIds, ['vnone']);
    await fails(['submit-transcode-jobs', '--video-id', 'vnone', '--template-group-id', gid], 1, /^NOT_FOUND: video_id: /);
    assert.equal((await json<{ total?: number }>(['list-transcode-task', '--task-status', 'failed'])).total ?? 0, 0);
    await fails(['get-transcode-task', '--transcode-task-id', 'tnone'], 1, /^NOT_FOUND: transcode_task_id: /);
    await ok(['delete-transcode-template-group', '--transcode-template-group-id', gid]);
    await ok(['delete-category', '--cate-id', cat.category.cateId]);
  });

  it('thumbnails: snapshot configurations and a stream\'s thumbnails', async () => {
    const added = await json<{ config: { timeInterval: number; resolution: string } }>(['add-live-app-snapshot-config', '--domain-name', DOMAIN, '--app-name', 'live', '--time-interval', '5', '--resolution', '360p', '--sequence-oss-object', 'snapshot/{AppName}/{StreamName}/{UnixTimestamp}.jpg']);
    assert.deepEqual([added.config.timeInterval, added.config.resolution], [5, '360p']);
    await fails(['add-live-app-snapshot-config', '--domain-name', DOMAIN, '--app-name', 'live', '--overwrite-oss-object', '../x.jpg'], 1, /^INVALID_ARGUMENT: overwrite_oss_object: /);
    await ok(['update-live-app-snapshot-config', '--domain-name', DOMAIN, '--app-name', 'live', '--time-interval', '10', '--overwrite-oss-object', '{AppName}/{StreamName}.jpg']);
    assert.match(await ok(['describe-live-snapshot-config', '--domain-name', DOMAIN]), /\{AppName\}\/\{StreamName\}\.jpg/);
    assert.deepEqual(await json<object>(['describe-live-stream-snapshot-info', '--domain-name', DOMAIN, '--app-name', 'live', '--stream-name', 'none', ...DAY]), { liveStreamSnapshotInfoList: [], nextStartTime: '' });
    await ok(['delete-live-app-snapshot-config', '--domain-name', DOMAIN, '--app-name', 'live']);
    await fails(['delete-live-app-snapshot-config', '--domain-name', DOMAIN, '--app-name', 'live'], 1, /^NOT_FOUND: no snapshot configuration for cli\.example\.com\/live/);
  });

  it('live transcoding: transcoding templates added, listed, refused when bad, deleted', async () => {
    const tpl = ['--domain-name', DOMAIN, '--app-name', 'live', '--template', 'sd'];
    const size = ['--height', '360', '--fps', '25', '--gop', '50', '--video-bitrate', '800', '--audio-bitrate', '64'];
    const added = await json<{ transcode: { template: string; width: number; audioCodec: string } }>(['add-custom-live-stream-transcode', ...tpl, '--width', '640', ...size]);
    assert.deepEqual([added.transcode.template, added.transcode.width, added.transcode.audioCodec], ['sd', 640, 'aac']);
    await fails(['add-custom-live-stream-transcode', ...tpl, '--width', '641', ...size], 1, /^INVALID_ARGUMENT: width: must be even/);
    const listed = await ok(['describe-live-stream-transcode-info', '--domain-name', DOMAIN]);
    assert.match(listed, /\bsd\b/);
    assert.match(listed, /\b640\b/);
    await ok(['delete-live-stream-transcode', ...tpl]);
    await fails(['delete-live-stream-transcode', ...tpl], 1, /^NOT_FOUND: template: no transcoding template sd/);
  });

  it('ran every subcommand against the system', () => {
    assert.deepEqual(METHOD_NAMES.map(commandOf).filter((c) => !ran.has(c)), []);
  });
});
