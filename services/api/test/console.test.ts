// The web console end to end, in headless Chromium (Debian's chromium driven by
// playwright-core) against the whole system: sign in through a #key= link, create a
// template through the form (a bad field first: the API's own message), push a
// stream, see it live with its decision, play its recording, select a range on the
// timeline and play the clip made of it, delete the clip. And the JSON bridge's
// guards: the key only in a header, bounded bodies, the gRPC status and message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  AddLiveAppRecordConfigRequest, CreateApiKeyRequest, DescribeLiveRecordConfigRequest, DescribeLiveStreamRecordIndexFileRequest,
  type CreateApiKeyResponse, type DescribeLiveRecordConfigResponse, type DescribeLiveStreamRecordIndexFileResponse, type LiveRecordServiceClient,
} from '../../../libs/proto/index.js';
import { cleanEnv, runCli } from '../../../cli/test/run-cli.js';
import { REPO_ROOT, grpcClient, makeTestMedia, push, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PUSH_SECONDS = 16;
const STREAM = 'localhost/console/demo';

describe('web console', () => {
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;
  let browser: BrowserContext;
  let page: Page;
  let base: string;

  before(async () => {
    // A fresh clone has no bundle yet: build it as npm start's build does.
    const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build-console.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
    assert.equal(build.status, 0, 'the console builds');
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (scripts/bootstrap.mjs --test installs Debian's chromium)`);
    sys = await startSystem();
    client = grpcClient(sys.ports.grpc, sys.adminKey);
    base = `http://127.0.0.1:${sys.ports.http}`;
    browser = await chromium.launchPersistentContext(tempDir('chromium'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30000);
  });

  after(async () => {
    await browser?.close();
    client?.close();
    const code = await sys?.stop();
    assert.equal(code, 0, `the system exits cleanly\n${sys?.logs().slice(-2000)}`);
  });

  /** The Player's <video> has data and its time moves on. */
  async function playsBack(recordId: string): Promise<void> {
    await page.waitForFunction((id) => {
      const v = document.querySelector<HTMLVideoElement>(`section[aria-label="Player"][data-record-id="${id}"] video`);
      return !!v && v.readyState >= 2 && v.currentTime > 1;
    }, recordId, { timeout: 30000 });
  }

  it('signs in from the link `liverecord console` prints and takes the key out of the address bar', async () => {
    const cli = await runCli(['console', '--http-port', String(sys.ports.http)], { env: cleanEnv({ LR_DATA_DIR: sys.dataDir }) });
    assert.equal(cli.code, 0, cli.stderr);
    const link = cli.stdout.trim();
    assert.equal(link, `${base}/console#key=${encodeURIComponent(sys.adminKey)}`);
    await page.goto(link);
    const keyId = /^lrk_([0-9a-f]{16})_/.exec(sys.adminKey)![1];
    await page.getByText(`key ${keyId}`).waitFor();
    assert.ok(!page.url().includes('key='), `the key left the URL: ${page.url()}`);
    assert.ok(!page.url().includes(sys.adminKey));
    // The same link opened again in the tab that shows the console (only the fragment changes: no page load).
    await page.goto(`${base}/console#/templates`);
    await page.goto(link);
    await page.waitForURL((u) => !u.hash.includes('key='));
    assert.equal(new URL(page.url()).hash, '#/streams');
    await page.getByText(`key ${keyId}`).waitFor();
  });

  it('signs in through the form: a wrong key is refused, the right one kept for this tab only', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${base}/console`);
    const form = tab.getByRole('form', { name: 'Sign in' });
    await form.locator('input[name="api_key"]').fill('lrk_0000000000000000_not-a-key');
    await form.getByRole('button', { name: 'Sign in' }).click();
    assert.match((await form.getByRole('alert').textContent())!, /^UNAUTHENTICATED: unknown or revoked API key/);
    await form.locator('input[name="api_key"]').fill(sys.adminKey);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('button', { name: 'Sign out' }).click();
    await tab.getByRole('form', { name: 'Sign in' }).waitFor();
    assert.equal(await tab.evaluate(() => sessionStorage.length), 0, 'signing out forgets the key');
    await tab.close();
  });

  it('creates a template through the form, after showing the API\'s message for a bad field', async () => {
    await page.getByRole('link', { name: 'Templates' }).click();
    const oss = page.getByRole('region', { name: 'Object-storage templates' });
    await oss.getByRole('button', { name: 'New template' }).click();
    const form = page.getByRole('form', { name: 'New object-storage template' });
    await form.locator('input[name="app_name"]').fill('console');
    await form.locator('input[name="stream_name"]').fill('*');
    await form.locator('input[name="delay_time"]').fill('2');
    await form.locator('input[name="record_format[0].slice_duration"]').fill('99');
    await form.getByRole('button', { name: 'Create' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    // The same request over gRPC: the console shows exactly its status and message.
    const grpcError = await unary(client, 'addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'console', streamName: '*', onDemand: 0, delayTime: 2, recordFormat: [{ format: 'm3u8', sliceDuration: 99 }],
    })).then(() => null, (e: ServiceError) => e);
    assert.ok(grpcError, 'gRPC refuses the same template');
    assert.match(grpcError.details, /^record_format\[0\]\.slice_duration: /);
    assert.equal(await alert.textContent(), `INVALID_ARGUMENT: ${grpcError.details}`);
    assert.equal(await form.locator('label[data-field="record_format[0].slice_duration"]').getAttribute('class'), 'field invalid', 'the named field is marked');

    await form.locator('input[name="record_format[0].slice_duration"]').fill('2');
    await form.getByRole('button', { name: 'Create' }).click();
    await oss.locator('tr[data-template="console/*"]').waitFor();
    const listed = await unary<object, DescribeLiveRecordConfigResponse>(client, 'describeLiveRecordConfig', DescribeLiveRecordConfigRequest.fromPartial({ domainName: 'localhost', appName: 'console' }));
    assert.equal(listed.liveAppRecordList.length, 1);
    assert.equal(listed.liveAppRecordList[0].delayTime, 2);
    assert.equal(listed.liveAppRecordList[0].recordFormat[0].sliceDuration, 2);
  });

  it('shows a pushed stream live, recording, with the decision; plays its recording', async () => {
    const pusher = push(makeTestMedia('h264-aac', PUSH_SECONDS), `rtmp://127.0.0.1:${sys.ports.rtmp}/console/demo`);
    await page.getByRole('link', { name: 'Streams' }).click();
    const row = page.locator(`tr[data-stream="${STREAM}"][data-live="true"]`);
    await row.locator('[data-state="recording"]').waitFor();
    await row.locator('[data-reason="recording"]').waitFor();
    const templateId = (await unary<object, DescribeLiveRecordConfigResponse>(client, 'describeLiveRecordConfig', DescribeLiveRecordConfigRequest.fromPartial({ domainName: 'localhost', appName: 'console' }))).liveAppRecordList[0].configId;
    assert.ok((await row.textContent())!.includes(templateId), 'the decision names the template the form created');
    assert.equal(await pusher.done, 0, 'the push completes');

    // The stream's page (its row may say ended by now): after the 2 s reconnect window its m3u8 is catalogued and listed.
    await page.locator(`tr[data-stream="${STREAM}"]`).getByRole('link', { name: STREAM }).click();
    const recording = page.locator('tr[data-object^="record/console/demo/"][data-object$=".m3u8"]');
    await recording.waitFor({ timeout: 45000 });
    const recordId = (await recording.getAttribute('data-record-id'))!;
    await recording.getByRole('button', { name: 'Play' }).click();
    await playsBack(recordId);
  });

  it('selects a range on the timeline, makes a clip of it and plays it, then deletes the clip and its file', async () => {
    const band = page.locator('.timeline .bar.content').first();
    await band.waitFor();
    const box = (await band.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.15, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.85, y, { steps: 8 });
    await page.mouse.up();
    const clipForm = page.getByRole('form', { name: 'Clip' });
    const start = Date.parse(await clipForm.locator('input[name="start_time"]').inputValue());
    const end = Date.parse(await clipForm.locator('input[name="end_time"]').inputValue());
    assert.ok(end - start >= 6000, `the drag selected ${end - start} ms`);
    await clipForm.getByRole('button', { name: 'Create clip' }).click();
    const created = page.locator('.clip-created');
    await created.waitFor();
    const clipId = (await created.getAttribute('data-record-id'))!;
    assert.match((await created.textContent())!, /Created clips\/console\/demo\/\d{8}-\d{6}-\d+s\.m3u8: \d+ segments/);
    await playsBack(clipId);

    const clip = await unary<object, DescribeLiveStreamRecordIndexFileResponse>(client, 'describeLiveStreamRecordIndexFile', DescribeLiveStreamRecordIndexFileRequest.fromPartial({ recordId: clipId }));
    const clipFile = join(sys.storageRoot, clip.recordIndexInfo!.ossObject);
    assert.ok(existsSync(clipFile), 'the clip playlist is stored');
    assert.ok(Date.parse(clip.recordIndexInfo!.startTime) >= start - 3000 && Date.parse(clip.recordIndexInfo!.endTime) <= end + 3000, 'the clip covers the selection (to the segment)');

    const row = page.locator(`tr[data-record-id="${clipId}"]`);
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Delete record' }).click();
    await page.getByRole('status').filter({ hasText: `${clipId}: OK` }).waitFor();
    await row.waitFor({ state: 'detached' });
    const gone = await unary(client, 'describeLiveStreamRecordIndexFile', DescribeLiveStreamRecordIndexFileRequest.fromPartial({ recordId: clipId })).then(() => null, (e: ServiceError) => e);
    assert.match(gone?.details ?? '', /not found|no record/i);
    assert.equal(existsSync(clipFile), false, 'the clip file is deleted with its record');
    // The recording itself is untouched.
    await page.locator('tr[data-object^="record/console/demo/"][data-object$=".m3u8"]').waitFor();
  });

  it('edits and deletes the template through its form; configures callbacks (the key never shown) and deletes them', async () => {
    const describeConsole = () => unary<object, DescribeLiveRecordConfigResponse>(client, 'describeLiveRecordConfig', DescribeLiveRecordConfigRequest.fromPartial({ domainName: 'localhost', appName: 'console' }));
    await page.getByRole('link', { name: 'Templates' }).click();
    const oss = page.getByRole('region', { name: 'Object-storage templates' });
    const row = oss.locator('tr[data-template="console/*"]');
    await row.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit object-storage template' });
    await form.locator('input[name="delay_time"]').fill('60');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const edited = (await describeConsole()).liveAppRecordList;
    assert.deepEqual(edited.map((t) => [t.delayTime, t.recordFormat[0].format, t.recordFormat[0].sliceDuration]), [[60, 'm3u8', 2]], 'the edit changed the delay and kept the rest');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Delete it' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await describeConsole()).liveAppRecordList, []);

    const callbacks = page.getByRole('region', { name: 'Callbacks' });
    await callbacks.getByRole('button', { name: 'Configure' }).click();
    const notify = page.getByRole('form', { name: 'Callbacks' });
    await notify.locator('input[name="notify_url"]').fill('http://127.0.0.1:9/console-callbacks');
    await notify.locator('input[name="auth_key"]').fill('console-secret-key');
    await notify.getByRole('button', { name: 'Save' }).click();
    await callbacks.getByText('yes (key set)').waitFor();
    assert.match((await callbacks.textContent())!, /http:\/\/127\.0\.0\.1:9\/console-callbacks/);
    assert.ok(!(await page.content()).includes('console-secret-key'), 'the signing key is not on the page');
    await callbacks.getByRole('button', { name: 'Delete' }).click();
    await callbacks.getByRole('button', { name: 'Delete callbacks' }).click();
    await callbacks.getByText('No callbacks for localhost.').waitFor();
  });

  it('bridges the API with its statuses and messages, the key only in a header, bodies bounded', async () => {
    const api = (name: string, init: RequestInit & { key?: string | null } = {}) => {
      const { key = sys.adminKey, ...rest } = init;
      return fetch(`${base}/console/api/${name}`, {
        method: 'POST',
        ...rest,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...(rest.headers as Record<string, string> | undefined) },
      });
    };
    const noKey = await api('DescribeLiveRecordConfig', { key: null, body: '{"domain_name":"localhost"}' });
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const inQuery = await fetch(`${base}/console/api/DescribeLiveRecordConfig?key=${encodeURIComponent(sys.adminKey)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(inQuery.status, 400, 'a key in the URL is refused, not used');
    const badType = await api('DescribeLiveStreamRecordIndexFiles', { body: JSON.stringify({ domain_name: 'localhost', app_name: 'console', stream_name: 'demo', start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-02T00:00:00Z', page_size: 'many' }) });
    assert.equal(badType.status, 400);
    assert.deepEqual(await badType.json(), { code: 'INVALID_ARGUMENT', message: 'page_size: must be a number, got "many"' });
    const unknownField = await api('DescribeLiveRecordConfig', { body: '{"domain":"localhost"}' });
    assert.match(((await unknownField.json()) as { message: string }).message, /^domain: is not a field of this request/);
    const badTime = await api('DescribeLiveStreamRecordContent', { body: JSON.stringify({ domainName: 'localhost', appName: 'console', streamName: 'demo', startTime: 'yesterday', endTime: '2026-01-02T00:00:00Z' }) });
    assert.equal(badTime.status, 400);
    assert.match(((await badTime.json()) as { message: string }).message, /^start_time: must be an RFC 3339 time/);
    const tooBig = await api('DeleteLiveStreamRecordIndexFiles', { body: JSON.stringify({ record_id: ['x'.repeat(2 * 1024 * 1024)] }) });
    assert.equal(tooBig.status, 413);
    // A read key may look but not change anything: the same refusal and message as over gRPC, audited the same way.
    const reader = await unary<object, CreateApiKeyResponse>(client, 'createApiKey', CreateApiKeyRequest.fromPartial({ name: 'console-reader', scope: 'read' }));
    const readOnly = { domainName: 'localhost', appName: 'readonly', streamName: '*', recordFormat: [{ format: 'flv', cycleDuration: 900 }] };
    const denied = await api('AddLiveAppRecordConfig', { key: reader.apiKey, body: JSON.stringify(readOnly) });
    assert.equal(denied.status, 403);
    const readerClient = grpcClient(sys.ports.grpc, reader.apiKey);
    const grpcDenied = await unary(readerClient, 'addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial(readOnly)).then(() => null, (e: ServiceError) => e);
    readerClient.close();
    assert.ok(grpcDenied, 'gRPC refuses the read key too');
    assert.deepEqual(await denied.json(), { code: 'PERMISSION_DENIED', message: grpcDenied.details });
    const readerId = reader.keyInfo!.keyId;
    await waitFor('the refused bridge call in the audit trail', () => sys.logs().split('\n').filter((line) => line.includes('"audit":true') && line.includes(`"keyId":"${readerId}"`) && line.includes('"outcome":"PERMISSION_DENIED"')).length === 2);
    const looked = await api('DescribeLiveRecordConfig', { key: reader.apiKey, body: JSON.stringify({ domainName: 'localhost', appName: 'readonly' }) });
    assert.equal(looked.status, 200);
    assert.deepEqual(((await looked.json()) as { liveAppRecordList?: unknown[] }).liveAppRecordList ?? [], [], 'nothing was created');
    const unknownMethod = await api('NoSuchMethod', { body: '{}' });
    assert.equal(unknownMethod.status, 501);
    const get = await fetch(`${base}/console/api/ListLiveStreams`);
    assert.equal(get.status, 405);
    const list = await api('ListLiveStreams', { body: '{"include_ended":true}' });
    assert.equal(list.status, 200);
    const streams = ((await list.json()) as { streams: { domainName: string; appName: string; streamName: string; live: boolean }[] }).streams;
    assert.ok(streams.some((s) => `${s.domainName}/${s.appName}/${s.streamName}` === STREAM && !s.live), 'the ended stream is listed as ended');
    // The page is public; its data is not.
    const pageRes = await fetch(`${base}/console`);
    assert.equal(pageRes.status, 200);
    assert.match(pageRes.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.ok(!sys.logs().includes(sys.adminKey), 'the key is in no log line');
    assert.ok(!sys.logs().includes(reader.apiKey.slice(-20)), 'nor the read key');
  });
});
