// Table tests of the media library's request validation: every refusal names its field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SearchMediaRequest, TranscodeTemplate } from '../../../libs/proto/index.js';
import { idField, labelField, renditionSpecs, searchQuery, tagList } from '../src/library-handlers.js';

describe('SearchMedia request', () => {
  it('defaults: everything, newest first, 10 a page', () => {
    const q = searchQuery(SearchMediaRequest.fromPartial({}));
    assert.deepEqual(q, {
      categoryId: null, domain: null, app: null, stream: null, startMs: null, endMs: null, status: null, tag: null, title: null, source: null,
      pageNum: 1, pageSize: 10, order: 'desc',
    });
  });

  it('filters are read and normalised', () => {
    const q = searchQuery(SearchMediaRequest.fromPartial({
      cateId: 'c1', domainName: 'Example.COM', appName: 'live', streamName: 'cam', startTime: '2026-11-26T00:00:00Z', endTime: '2026-11-27T00:00:00Z',
      status: 'normal', tag: 'sports', title: 'Cam', source: 'compose', pageNo: 2, pageSize: 50, sortBy: 'creationtime:asc',
    }));
    assert.deepEqual(q, {
      categoryId: 'c1', domain: 'example.com', app: 'live', stream: 'cam', startMs: Date.UTC(2026, 10, 26), endMs: Date.UTC(2026, 10, 27), status: 'Normal',
      tag: 'sports', title: 'Cam', source: 'compose', pageNum: 2, pageSize: 50, order: 'asc',
    });
  });

  const refused: [string, Partial<SearchMediaRequest>, RegExp][] = [
    ['page size over 100', { pageSize: 101 }, /^page_size: must be 1\.\.100/],
    ['negative page', { pageNo: -1 }, /^page_no: /],
    ['bad time', { startTime: 'yesterday' }, /^start_time: must be an RFC 3339 time/],
    ['reversed range', { startTime: '2026-11-27T00:00:00Z', endTime: '2026-11-26T00:00:00Z' }, /^end_time: must be after start_time/],
    ['unknown status', { status: 'Deleted' }, /^status: must be one of Normal, Processing, ProcessFailed/],
    ['unknown source', { source: 'upload' }, /^source: must be one of record, compose/],
    ['unknown sort', { sortBy: 'Title:Asc' }, /^sort_by: must be CreationTime:Desc or CreationTime:Asc/],
    ['bad category id', { cateId: '../x' }, /^cate_id: is not an id/],
    ['bad domain', { domainName: 'a b' }, /^domain_name: /],
    ['bad stream', { streamName: 'a/b' }, /^stream_name: /],
    ['tag with a separator', { tag: 'a|b' }, /^tag: may not contain/],
    ['title with control characters', { title: 'a\u0001' }, /^title: may not contain control characters/],
  ];
  for (const [what, req, want] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => searchQuery(SearchMediaRequest.fromPartial(req)), (e: Error) => want.test(e.message)));
  }
});

describe('transcode template groups', () => {
  const t = (o: Partial<TranscodeTemplate>) => TranscodeTemplate.fromPartial({ definition: '360p', height: 360, ...o });

  it('reads renditions with defaults', () => {
    assert.deepEqual(renditionSpecs([t({}), t({ definition: '720p', width: 1280, height: 720, videoBitrate: 2500, audioBitrate: 128, container: 'MP4' })]), [
      { definition: '360p', width: 0, height: 360, videoBitrateKbps: 0, audioBitrateKbps: 0, container: 'mp4' },
      { definition: '720p', width: 1280, height: 720, videoBitrateKbps: 2500, audioBitrateKbps: 128, container: 'mp4' },
    ]);
  });

  const refused: [string, TranscodeTemplate[], RegExp][] = [
    ['no templates', [], /^transcode_template_list: needs at least one/],
    ['eleven templates', Array.from({ length: 11 }, (_, i) => t({ definition: `d${i}` })), /^transcode_template_list: at most 10/],
    ['a definition twice', [t({}), t({})], /^transcode_template_list\[1\]\.definition: "360p" is listed twice/],
    ['a definition that is not a name', [t({ definition: '../x' })], /^transcode_template_list\[0\]\.definition: /],
    ['an odd height', [t({ height: 361 })], /^transcode_template_list\[0\]\.height: must be an even number/],
    ['a huge width', [t({ width: 8192 })], /^transcode_template_list\[0\]\.width: /],
    ['another container', [t({ container: 'webm' })], /^transcode_template_list\[0\]\.container: must be mp4/],
    ['a silly bitrate', [t({ videoBitrate: 1 })], /^transcode_template_list\[0\]\.video_bitrate: must be 50\.\.50000/],
  ];
  for (const [what, list, want] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => renditionSpecs(list), (e: Error) => want.test(e.message)));
  }
});

describe('ids, labels and tags', () => {
  it('ids are short and printable', () => {
    assert.equal(idField('video_id', ' v1 '), 'v1');
    assert.throws(() => idField('video_id', ''), /^Error: video_id: is required$|video_id: is required/);
    assert.throws(() => idField('video_id', 'a'.repeat(65)), /video_id: is not an id/);
  });
  it('labels are bounded', () => {
    assert.throws(() => labelField('cate_name', 'x'.repeat(65), 64), /cate_name: at most 64 characters/);
  });
  it('tags are bounded, deduplicated', () => {
    assert.deepEqual(tagList('tags', ['a', 'b', 'a']), ['a', 'b']);
    assert.throws(() => tagList('tags', Array.from({ length: 17 }, (_, i) => `t${i}`)), /tags: at most 16 tags/);
    assert.throws(() => tagList('tags', ['x,y']), /tags\[0\]: may not contain/);
  });
});
