// The console bridge's JSON → request message conversion: what a gRPC client could
// send passes unchanged; a wrong type, an unknown field or a number the field cannot
// hold is INVALID_ARGUMENT naming the field (proto path), as the API's own checks do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { AddLiveAppRecordConfigRequest, DeleteLiveStreamRecordIndexFilesRequest, DescribeLiveStreamRecordIndexFilesRequest } from '../../../libs/proto/index.js';
import { ApiError } from '../src/grpc-errors.js';
import { parseListLiveStreams } from '../src/console/live-stream-listing.js';
import { requestFromJson } from '../src/console/request-json.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
    assert.equal(err.code, status.INVALID_ARGUMENT);
    return err.message;
  }
  assert.fail('expected INVALID_ARGUMENT');
}

describe('console bridge: JSON requests', () => {
  it('takes camelCase or snake_case names, numbers as numbers or strings, null as the default', () => {
    const r = requestFromJson(AddLiveAppRecordConfigRequest, {
      domain_name: 'localhost', appName: 'live', stream_name: '*', delay_time: '30', on_demand: null,
      record_format: [{ format: 'm3u8', slice_duration: 10, cycleDuration: 900 }], transcode_templates: ['t1'],
    });
    assert.deepEqual(r, AddLiveAppRecordConfigRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: '*', delayTime: 30, onDemand: 0,
      recordFormat: [{ format: 'm3u8', sliceDuration: 10, cycleDuration: 900 }], transcodeTemplates: ['t1'],
    }));
    assert.deepEqual(requestFromJson(DeleteLiveStreamRecordIndexFilesRequest, { record_id: ['a', 'b'], remove_file: true }).recordId, ['a', 'b']);
  });

  const cases: [string, object, unknown, RegExp][] = [
    ['a word for a number', DescribeLiveStreamRecordIndexFilesRequest, { page_size: 'many' }, /^page_size: must be a number, got "many"$/],
    ['a fraction for an integer', DescribeLiveStreamRecordIndexFilesRequest, { pageSize: 1.5 }, /^page_size: must be an integer in the field's range, got 1\.5$/],
    ['beyond 32 bits', DescribeLiveStreamRecordIndexFilesRequest, { page_num: 2 ** 40 }, /^page_num: must be an integer/],
    ['a nested integer', AddLiveAppRecordConfigRequest, { record_format: [{ format: 'm3u8' }, { slice_duration: 2.5 }] }, /^record_format\[1\]\.slice_duration: must be an integer/],
    ['a string for a boolean', DeleteLiveStreamRecordIndexFilesRequest, { remove_file: 'false' }, /^remove_file: must be true or false, got "false"$/],
    ['a number for a string', AddLiveAppRecordConfigRequest, { domain_name: 7 }, /^domain_name: must be a string, got 7$/],
    ['a string for a list', AddLiveAppRecordConfigRequest, { record_format: 'm3u8' }, /^record_format: must be a list/],
    ['a string for a message', AddLiveAppRecordConfigRequest, { record_format: ['m3u8'] }, /^record_format\[0\]: must be a JSON object/],
    ['an unknown field', AddLiveAppRecordConfigRequest, { domain: 'localhost' }, /^domain: is not a field of this request$/],
    ['an unknown nested field', AddLiveAppRecordConfigRequest, { record_format: [{ slice: 2 }] }, /^record_format\[0\]\.slice: is not a field of this request$/],
    ['a list for the request', AddLiveAppRecordConfigRequest, [], /^request: must be a JSON object/],
  ];
  for (const [what, codec, body, message] of cases) {
    it(`refuses ${what}`, () => {
      assert.match(refusal(() => requestFromJson(codec as typeof AddLiveAppRecordConfigRequest, body)), message);
    });
  }

  it('parses ListLiveStreams strictly too', () => {
    assert.deepEqual(parseListLiveStreams({}), { domainName: '', includeEnded: false });
    assert.deepEqual(parseListLiveStreams({ domain_name: 'Example.COM', includeEnded: true }), { domainName: 'example.com', includeEnded: true });
    assert.match(refusal(() => parseListLiveStreams({ include_ended: 'yes' })), /^include_ended: must be true or false/);
    assert.match(refusal(() => parseListLiveStreams({ domain_name: 'bad domain' })), /^domain_name: is not a valid domain name/);
    assert.match(refusal(() => parseListLiveStreams({ stream: 'x' })), /^stream: is not a field of this request$/);
  });
});
