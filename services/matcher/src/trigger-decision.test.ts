import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IngestPublished, RecordTemplate } from '../../../libs/bus/index.js';
import { RELAXED_LIMITS, STANDARD_LIMITS } from '../../../libs/config/index.js';
import { OnDemandFailure, parseOnDemandAnswer } from './on-demand.js';
import { decideTrigger, type OnDemandResult } from './trigger-decision.js';

const fmt = (format: 'm3u8' | 'flv' | 'mp4') => ({ format, cycleSeconds: 3600, sliceSeconds: 10, filePattern: 'f', segmentPattern: 's' });
const tpl = (trigger: 0 | 1 | 2 | 7): RecordTemplate => ({
  id: 't', kind: 'oss', domain: 'd', app: 'live', stream: '*', trigger, delaySeconds: 180, recordContent: ['raw'],
  formats: [fmt('m3u8'), fmt('flv')], transcodeFormats: [], transcodeTemplates: [], storage: { kind: 'local', bucket: '', endpoint: '' }, vod: null, createdMs: 0, updatedMs: 0,
});
const pub = (params: Record<string, string> = {}) => ({ params } as unknown as IngestPublished);
const answer = (body: object): OnDemandResult => ({ ok: true, answer: parseOnDemandAnswer(JSON.stringify(body), STANDARD_LIMITS.intervalSeconds) });

describe('trigger decisions', () => {
  const cases: [string, RecordTemplate, IngestPublished, OnDemandResult | null, 'skip' | 'record', { record: boolean; reason: string; formats?: string[]; overrides?: object }][] = [
    ['automatic', tpl(0), pub(), null, 'skip', { record: true, reason: 'recording', formats: ['m3u8', 'flv'] }],
    ['manual waits', tpl(7), pub(), null, 'skip', { record: false, reason: 'manual_wait' }],
    ['ingest param true', tpl(2), pub({ record_config: '{"NeedRecord":true}' }), null, 'skip', { record: true, reason: 'recording' }],
    ['ingest param false', tpl(2), pub({ record_config: '{"NeedRecord":false}' }), null, 'skip', { record: false, reason: 'ingest_param_false' }],
    ['ingest param missing', tpl(2), pub(), null, 'skip', { record: false, reason: 'ingest_param_missing' }],
    ['ingest param not JSON', tpl(2), pub({ record_config: '{NeedRecord:true' }), null, 'skip', { record: false, reason: 'ingest_param_malformed' }],
    ['ingest param without boolean', tpl(2), pub({ record_config: '{"NeedRecord":"yes"}' }), null, 'skip', { record: false, reason: 'ingest_param_malformed' }],
    ['on-demand allow', tpl(1), pub(), answer({ NeedRecord: true }), 'skip', { record: true, reason: 'recording', formats: ['m3u8', 'flv'] }],
    ['on-demand deny', tpl(1), pub(), answer({ NeedRecord: false }), 'skip', { record: false, reason: 'on_demand_denied' }],
    ['on-demand Interval override', tpl(1), pub(), answer({ NeedRecord: true, Interval: { M3U8: 900, Mp4: 1200 } }), 'skip', { record: true, reason: 'recording', overrides: { m3u8: 900 } }],
    ['on-demand Format narrows, any case', tpl(1), pub(), answer({ NeedRecord: true, Format: ['FLV', 'mp4'] }), 'skip', { record: true, reason: 'recording', formats: ['flv'] }],
    ['on-demand Format disjoint', tpl(1), pub(), answer({ NeedRecord: true, Format: ['mp4'] }), 'skip', { record: false, reason: 'on_demand_no_common_format' }],
    ['on-demand Format empty', tpl(1), pub(), answer({ NeedRecord: true, Format: [] }), 'skip', { record: false, reason: 'on_demand_no_common_format' }],
    ['on-demand failed, skip', tpl(1), pub(), { ok: false, error: 'HTTP 500' }, 'skip', { record: false, reason: 'on_demand_failed' }],
    ['on-demand failed, record', tpl(1), pub(), { ok: false, error: 'HTTP 500' }, 'record', { record: true, reason: 'on_demand_failed_recorded' }],
    ['on-demand without URL', tpl(1), pub(), null, 'skip', { record: false, reason: 'on_demand_failed' }],
  ];
  for (const [name, t, p, od, fallback, want] of cases) {
    it(name, () => {
      const o = decideTrigger(t, p, od, fallback);
      assert.equal(o.record, want.record);
      assert.equal(o.reason, want.reason);
      if (want.formats) assert.deepEqual(o.formats.map((f) => f.format), want.formats);
      if (want.overrides) assert.deepEqual(o.cycleOverrides, want.overrides);
    });
  }
});

describe('on-demand answers', () => {
  const bad: [string, string][] = [
    ['<html>', 'not JSON'], ['[]', 'not a JSON object'], ['{}', 'NeedRecord'], ['{"NeedRecord":1}', 'NeedRecord'],
    ['{"NeedRecord":true,"Interval":{"M3U8":3}}', 'Interval.M3U8 must be 5..21600'], ['{"NeedRecord":true,"Interval":{"Avi":60}}', 'unknown format'],
    ['{"NeedRecord":true,"Format":"m3u8"}', 'Format is not a list'],
  ];
  for (const [body, want] of bad) {
    it(`refuses ${body}`, () => assert.throws(() => parseOnDemandAnswer(body, STANDARD_LIMITS.intervalSeconds), (e: Error) => e instanceof OnDemandFailure && e.message.includes(want)));
  }
  it('reads the full answer', () => {
    assert.deepEqual(parseOnDemandAnswer('{"ApiVersion":"1.0","NeedRecord":true,"Interval":{"Flv":30,"Cmaf":60},"Format":["Flv"]}', RELAXED_LIMITS.intervalSeconds), {
      needRecord: true, intervals: { flv: 30, cmaf: 60 }, formats: ['flv'],
    });
  });
});
