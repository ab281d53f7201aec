import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRANSCODE_FILE_PATTERN, DEFAULT_TRANSCODE_SEGMENT_PATTERN, renderKey } from './object-keys.js';
import { bindRenditionPattern, masterPlaylistKey, renditionStreamName } from './renditions.js';

describe('rendition naming', () => {
  it('names a rendition stream {StreamName}_{TemplateId}, or refuses a name too long', () => {
    assert.equal(renditionStreamName('demo', 'sd'), 'demo_sd');
    assert.equal(renditionStreamName('x'.repeat(126), 'sd'), null);
  });

  it('renders the spec transcodeRecord keys for the rendition stream with the source name bound', () => {
    const file = bindRenditionPattern(DEFAULT_TRANSCODE_FILE_PATTERN, 'demo', 'sd');
    const seg = bindRenditionPattern(DEFAULT_TRANSCODE_SEGMENT_PATTERN, 'demo', 'sd');
    // The recorder renders with the rendition's own stream name; it no longer matters.
    const vars = { AppName: 'live', StreamName: 'demo_sd', EscapedStartTime: '2026-01-02-03-04-05', EscapedEndTime: '2026-01-02-03-05-06', UnixTimestamp: 1767323045, Sequence: 0, TranscodeTemplateID: '' };
    assert.equal(renderKey(file, vars, '.m3u8'), 'transcodeRecord/live/demo_sd/2026-01-02-03-04-05_2026-01-02-03-05-06.m3u8');
    assert.equal(renderKey(seg, vars, '.ts'), 'transcodeRecord/live/demo_sd/1767323045_0.ts');
    assert.equal(bindRenditionPattern('x/{StreamName}-{TranscodingTemplateID}/{Sequence}', 's', 'hd'), 'x/s-hd/{Sequence}');
  });

  it('puts the master playlist next to the source playlist', () => {
    assert.equal(masterPlaylistKey('record/live/demo/a_b.m3u8'), 'record/live/demo/a_b_master.m3u8');
  });
});
