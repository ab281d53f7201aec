// The CLI's pure parts: reading times, building requests from flags, rendering answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../argv.js';
import { COMMANDS, findCommand } from '../commands.js';
import { requestFields, responseFields } from '../method-fields.js';
import { DEFAULT_COLUMNS, INLINE_FIELDS } from '../render/columns.js';
import { renderResponse } from '../render/response-view.js';
import { buildRequest } from '../request-builder.js';
import { formatTime, parseTimeInput } from '../time-format.js';
import { UsageError } from '../usage-error.js';
import { METHOD_NAMES } from '../../libs/client/index.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

describe('times', () => {
  it('reads RFC 3339, local and relative times into RFC 3339 UTC', () => {
    const local = (s: string) => parseTimeInput(s, { utc: false, nowMs: NOW });
    const utc = (s: string) => parseTimeInput(s, { utc: true, nowMs: NOW });
    assert.equal(utc('2026-11-26T06:54:46Z'), '2026-11-26T06:54:46Z');
    assert.equal(utc('2026-11-26T08:54:46+02:00'), '2026-11-26T06:54:46Z');
    assert.equal(utc('2026-11-26 06:54:46.250Z'), '2026-11-26T06:54:46.250Z');
    assert.equal(utc('2026-11-26'), '2026-11-26T00:00:00Z');
    assert.equal(utc('2026-11-26 06:54'), '2026-11-26T06:54:00Z');
    assert.equal(local('2026-11-26 06:54'), new Date(2026, 10, 26, 6, 54).toISOString().replace('.000', ''));
    assert.equal(utc('now'), '2026-11-26T12:00:00Z');
    assert.equal(utc('now-2h'), '2026-11-26T10:00:00Z');
    assert.equal(utc('-30m'), '2026-11-26T11:30:00Z');
    assert.equal(utc('now+1d'), '2026-11-27T12:00:00Z');
    for (const bad of ['yesterday', '2026-02-30', '2026-11-26T25:00:00Z', '2026-13-01', '']) assert.equal(utc(bad), null, bad);
  });

  it('shows API times in UTC or in local time with the offset', () => {
    assert.equal(formatTime('2026-11-26T06:54:46Z', true), '2026-11-26T06:54:46Z');
    assert.equal(formatTime('2026-11-26T06:54:46.120Z', true), '2026-11-26T06:54:46.120Z');
    assert.equal(formatTime('not a time', false), 'not a time');
    const shown = formatTime('2026-11-26T06:54:46Z', false);
    assert.match(shown, /^2026-11-2\dT\d\d:\d\d:46[+-]\d\d:\d\d$/);
    assert.equal(Date.parse(shown), Date.parse('2026-11-26T06:54:46Z'), 'local output is the same instant');
  });
});

describe('commands', () => {
  it('has one command per method, found by kebab-case or proto name', () => {
    assert.deepEqual(COMMANDS.map((c) => c.method), METHOD_NAMES);
    assert.equal(findCommand('describe-live-stream-record-index-files')?.method, 'describeLiveStreamRecordIndexFiles');
    assert.equal(findCommand('DescribeLiveStreamRecordIndexFiles')?.method, 'describeLiveStreamRecordIndexFiles');
    for (const c of COMMANDS) assert.ok(c.description.length > 10, `${c.name} has a description`);
  });

  it('derives a flag for every request field, none colliding with a global flag', () => {
    for (const c of COMMANDS) assert.doesNotThrow(() => parseCommandLine(c.name, [], requestFields(c.method)), c.name);
  });
});

describe('requests from flags', () => {
  const cmd = 'add-live-app-record-config';
  const fields = requestFields('addLiveAppRecordConfig');
  const build = (args: string[]) => {
    const parsed = parseCommandLine(cmd, args, fields);
    return buildRequest(fields, parsed.globals.request, parsed.fields, { command: cmd, utc: true, nowMs: NOW });
  };
  const usage = (args: string[], pattern: RegExp) => assert.throws(() => build(args), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

  it('maps scalars, numbers and nested JSON (snake or camel case) to the request', () => {
    assert.deepEqual(build(['--domain-name', 'd', '--on-demand', '1', '--record-format', '[{"format":"m3u8","slice_duration":10}]', '--record-format', '{"format":"flv","cycleDuration":900}', '--transcode-templates', 'a', '--transcode-templates', '["b","c"]']), {
      domainName: 'd', onDemand: 1, recordFormat: [{ format: 'm3u8', sliceDuration: 10 }, { format: 'flv', cycleDuration: 900 }], transcodeTemplates: ['a', 'b', 'c'],
    });
  });

  it('takes a whole request from --json, flags overriding its fields', () => {
    assert.deepEqual(build(['--json', '{"domain_name":"d","app_name":"a"}', '--app-name', 'b']), { domainName: 'd', appName: 'b' });
    const parsed = parseCommandLine(cmd, ['--json', '--domain-name', 'x'], fields);
    assert.equal(parsed.globals.json, true, 'a bare --json asks for JSON output');
    assert.equal(parsed.globals.request, undefined);
  });

  it('converts time flags, leaves --json times as given', () => {
    const f = requestFields('describeLiveStreamRecordIndexFiles');
    const parsed = parseCommandLine('x', ['--start-time', '2026-11-26', '--end-time=-1h'], f);
    assert.deepEqual(buildRequest(f, undefined, parsed.fields, { command: 'x', utc: true, nowMs: NOW }), { startTime: '2026-11-26T00:00:00Z', endTime: '2026-11-26T11:00:00Z' });
  });

  it('refuses unknown flags, bad numbers and unknown nested fields, naming them', () => {
    usage(['--domian-name', 'x'], /unknown flag --domian-name \(did you mean --domain-name\?\)/);
    usage(['--on-demand', 'one'], /^--on-demand: expected a number, got 'one'/);
    usage(['--record-format', '[{"formt":"m3u8"}]'], /^--record-format\[0\]: unknown field "formt"/);
    usage(['--record-format', '[{"slice_duration":"ten"}]'], /^--record-format\[0\]\.slice_duration: expected a number/);
    usage(['--record-format', '{oops'], /^--record-format: invalid JSON/);
    usage(['--json', '{"nope":1}'], /^--json: unknown field "nope"/);
    usage(['--domain-name'], /flag --domain-name needs a value/);
    usage(['stray'], /unexpected argument 'stray'/);
  });
});

describe('rendering', () => {
  const ctx = { utc: true, wide: false };

  it('names only existing fields in its column hints', () => {
    const lists = new Map<string, string[]>();
    const inline = new Set<string>();
    for (const m of METHOD_NAMES) {
      for (const f of responseFields(m)) {
        if (f.repeated && f.kind === 'message') lists.set(f.name, (f.fields ?? []).map((x) => x.name));
        for (const x of f.fields ?? []) if (x.kind === 'message') inline.add(x.name);
      }
    }
    for (const [list, cols] of Object.entries(DEFAULT_COLUMNS)) for (const c of cols) assert.ok(lists.get(list)?.includes(c), `${list}.${c}`);
    for (const name of Object.keys(INLINE_FIELDS)) assert.ok(inline.has(name), name);
  });

  it('prints an empty list as a table with its header, and an empty response as OK', () => {
    const out = renderResponse(responseFields('describeLiveStreamRecordContent'), { contentInfoList: [] }, ctx);
    assert.equal(out, 'START TIME  END TIME  DURATION\n(none)');
    assert.equal(renderResponse(responseFields('deleteLiveAppRecordConfig'), {}, ctx), 'OK');
  });

  it('escapes control characters that came from publishers', () => {
    const out = renderResponse(responseFields('realTimeRecordCommand'), { state: 'x\u001b[31my', recordingId: '' }, ctx);
    assert.equal(out, 'state:        x\\u001b[31my\nrecording_id: -');
  });
});
