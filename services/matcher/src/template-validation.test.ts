import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RELAXED_LIMITS, STANDARD_LIMITS } from '../../../libs/config/index.js';
import { AddLiveAppRecordConfigRequest, AddLiveRecordVodConfigRequest } from '../../../libs/proto/index.js';
import { transcodeRecordable, validateOssTemplate, validateVodTemplate, ValidationError, type StorageCapabilities } from './template-validation.js';

const ALL: StorageCapabilities = { s3: false, packaged: ['m3u8', 'cmaf', 'flv', 'mp4'] };
const M3U8_ONLY: StorageCapabilities = { s3: false, packaged: ['m3u8'] };
const base = { domainName: 'Example.com', appName: 'live', streamName: '*', recordFormat: [{ format: 'm3u8' }] };
const oss = (o: object) => AddLiveAppRecordConfigRequest.fromPartial({ ...base, ...o });

describe('template validation - object storage', () => {
  it('fills the defaults of the spec', () => {
    const t = validateOssTemplate(oss({}), STANDARD_LIMITS, ALL, 1000);
    assert.equal(t.domain, 'example.com');
    assert.equal(t.trigger, 0);
    assert.equal(t.delaySeconds, 180);
    assert.deepEqual(t.formats, [{ format: 'm3u8', cycleSeconds: 10800, sliceSeconds: 30, filePattern: 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}', segmentPattern: 'record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}' }]);
    assert.deepEqual(t.storage, { kind: 'local', bucket: '', endpoint: '' });
    assert.deepEqual(t.recordContent, ['raw']);
  });

  it('a manual trigger with renditions and a recording of the source is accepted; renditions only with another trigger too', () => {
    assert.equal(validateOssTemplate(oss({ onDemand: 7, transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8' }] }), STANDARD_LIMITS, ALL, 1).trigger, 7);
    assert.deepEqual(validateOssTemplate(oss({ onDemand: 2, recordFormat: [], transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8' }] }), STANDARD_LIMITS, ALL, 1).recordContent, ['transcode']);
  });

  it('defaults transcoded naming under transcodeRecord/', () => {
    const t = validateOssTemplate(oss({ transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'flv' }] }), STANDARD_LIMITS, ALL, 1);
    assert.match(t.transcodeFormats[0].filePattern, /^transcodeRecord\/\{AppName\}\/\{StreamName\}_\{TranscodeTemplateID\}/);
    assert.deepEqual(t.recordContent, ['raw', 'transcode']);
  });

  const refusals: [string, object, RegExp, StorageCapabilities?][] = [
    ['empty domain', { domainName: '' }, /^domain_name: is required/],
    ['bad domain', { domainName: 'bad domain' }, /^domain_name/],
    ['empty app', { appName: '' }, /^app_name/],
    ['path in app', { appName: '../x' }, /^app_name/],
    ['bad stream', { streamName: 'a/b' }, /^stream_name/],
    ['unknown trigger', { onDemand: 3 }, /^on_demand: must be 0/],
    ['window too short', { delayTime: 10 }, /^delay_time: must be 15\.\.21600/],
    ['window too long', { delayTime: 21601 }, /^delay_time/],
    ['no format', { recordFormat: [] }, /^record_format: needs at least one format/],
    ['unknown format', { recordFormat: [{ format: 'avi' }] }, /^record_format\[0\]\.format: unknown format "avi"/],
    ['m3u8 with cmaf', { recordFormat: [{ format: 'm3u8' }, { format: 'cmaf' }] }, /^record_format: m3u8 and cmaf cannot be recorded together/],
    ['a format twice', { recordFormat: [{ format: 'flv' }, { format: 'FLV' }] }, /^record_format: lists flv twice/],
    ['cycle too short', { recordFormat: [{ format: 'm3u8', cycleDuration: 600 }] }, /^record_format\[0\]\.cycle_duration: must be 900\.\.21600/],
    ['cycle too long', { recordFormat: [{ format: 'm3u8', cycleDuration: 21601 }] }, /^record_format\[0\]\.cycle_duration/],
    ['slice too short', { recordFormat: [{ format: 'm3u8', sliceDuration: 4 }] }, /^record_format\[0\]\.slice_duration: must be 5\.\.30/],
    ['slice on flv', { recordFormat: [{ format: 'flv', sliceDuration: 10 }] }, /^record_format\[0\]\.slice_duration: applies to m3u8 and cmaf only/],
    ['unknown placeholder', { recordFormat: [{ format: 'm3u8', ossObjectPrefix: 'r/{AppName}/{Foo}' }] }, /^record_format\[0\]\.oss_object_prefix: has an unknown placeholder \{Foo\}/],
    ['escaping prefix', { recordFormat: [{ format: 'm3u8', sliceOssObjectPrefix: '../{Sequence}' }] }, /^record_format\[0\]\.slice_oss_object_prefix/],
    ['eleven transcodes', { transcodeTemplates: Array.from({ length: 11 }, (_, i) => `t${i}`), transcodeRecordFormat: [{ format: 'flv' }] }, /^transcode_templates: at most 10/],
    ['transcode format without templates', { transcodeRecordFormat: [{ format: 'flv' }] }, /^transcode_templates: is required/],
    ['templates without transcode format', { transcodeTemplates: ['sd'] }, /^transcode_record_format: is required/],
    ['manual trigger for renditions only', { onDemand: 7, recordFormat: [], transcodeTemplates: ['sd'], transcodeRecordFormat: [{ format: 'm3u8' }] }, /^on_demand: the manual trigger \(7\) needs record_format/],
    ['bucket without S3', { ossBucket: 'b' }, /^oss_bucket: no S3-compatible object storage/],
    ['format not in this build', { recordFormat: [{ format: 'flv' }] }, /^record_format\[0\]\.format: format flv is not available in this build/, M3U8_ONLY],
  ];
  for (const [name, o, want, caps] of refusals) {
    it(`refuses ${name}`, () => {
      assert.throws(() => validateOssTemplate(oss(o), STANDARD_LIMITS, caps ?? ALL, 1), (e: Error) => e instanceof ValidationError && want.test(e.message));
    });
  }

  it('relaxed limits allow second-scale cycles and windows for tests', () => {
    const t = validateOssTemplate(oss({ delayTime: 2, recordFormat: [{ format: 'm3u8', cycleDuration: 4, sliceDuration: 1 }] }), RELAXED_LIMITS, ALL, 1);
    assert.equal(t.delaySeconds, 2);
    assert.equal(t.formats[0].cycleSeconds, 4);
  });

  it('the same key gives the same id whatever the kind', () => {
    const a = validateOssTemplate(oss({}), STANDARD_LIMITS, ALL, 1);
    const b = validateVodTemplate(AddLiveRecordVodConfigRequest.fromPartial({ ...base, recordFormat: [{ format: 'mp4' }] }), STANDARD_LIMITS, ALL, 1);
    assert.equal(a.id, b.id);
  });
});

describe('template validation - media library', () => {
  const vod = (o: object) => AddLiveRecordVodConfigRequest.fromPartial({ ...base, ...o });
  it('accepts the spec example', () => {
    const t = validateVodTemplate(vod({ cycleDuration: 3600, spaceId: 'app-1000000', recordContent: ['raw', 'transcode'], transcodeTemplates: ['sd'], recordFormat: [{ format: 'm3u8', sliceDuration: 30, autoCompose: true, videoProcess: ['origin', 'compose'], processMethod: 'transcode', processTemplateId: 'e2d7', tags: ['sports'] }] }), STANDARD_LIMITS, ALL, 1);
    assert.equal(t.kind, 'vod');
    assert.equal(t.formats[0].cycleSeconds, 3600);
    assert.equal(t.vod?.formats[0].autoCompose, true);
    assert.deepEqual(t.transcodeTemplates, ['sd']);
  });
  const refusals: [string, object, RegExp][] = [
    ['cmaf', { recordFormat: [{ format: 'cmaf' }] }, /^record_format\[0\]\.format: unknown format "cmaf"/],
    ['bad content', { recordContent: ['raw', 'both'] }, /^record_content\[1\]/],
    ['transcode content without templates', { recordContent: ['transcode'] }, /^transcode_templates: is required/],
    ['manual trigger for renditions only', { onDemand: 7, recordContent: ['transcode'], transcodeTemplates: ['sd'] }, /^on_demand: the manual trigger \(7\) needs record_content to include raw/],
    ['compose without auto_compose', { recordFormat: [{ format: 'mp4', videoProcess: ['compose'], processMethod: 'transcode', processTemplateId: 'x' }] }, /^record_format\[0\]\.video_process: compose needs auto_compose/],
    ['process without method', { recordFormat: [{ format: 'mp4', videoProcess: ['origin'], processTemplateId: 'x' }] }, /^record_format\[0\]\.process_method: is required/],
    ['bad method', { recordFormat: [{ format: 'mp4', processMethod: 'magic' }] }, /^record_format\[0\]\.process_method: must be transcode, got "magic"/],
    ['workflow processing', { recordFormat: [{ format: 'mp4', videoProcess: ['origin'], processMethod: 'workflow', processTemplateId: 'x' }] }, /^record_format\[0\]\.process_method: workflow is not available/],
    ['cycle', { cycleDuration: 60 }, /^cycle_duration/],
  ];
  for (const [name, o, want] of refusals) {
    it(`refuses ${name}`, () => {
      assert.throws(() => validateVodTemplate(vod(o), STANDARD_LIMITS, ALL, 1), (e: Error) => e instanceof ValidationError && want.test(e.message));
    });
  }
});

describe('transcoded renditions', () => {
  const cases: [string, string, boolean][] = [['*', 'live', true], ['live', 'live', true], ['other', 'live', false], ['*', '*', true], ['live', '*', false]];
  for (const [tApp, rApp, want] of cases) {
    it(`transcoding template app ${tApp} with recording template app ${rApp}: ${want}`, () => assert.equal(transcodeRecordable(tApp, rApp), want));
  }
});
