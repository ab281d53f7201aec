import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordTemplate } from '../../../libs/bus/index.js';
import { DEFAULT_FILE_PATTERN, DEFAULT_SEGMENT_PATTERN, DEFAULT_TRANSCODE_FILE_PATTERN, DEFAULT_TRANSCODE_SEGMENT_PATTERN } from '../../../libs/naming/index.js';
import { renditionTemplate } from './rendition-plan.js';

const t: RecordTemplate = {
  id: 'x', kind: 'oss', domain: 'localhost', app: 'live', stream: '*', trigger: 0, delaySeconds: 180, recordContent: ['raw', 'transcode'],
  formats: [{ format: 'flv', cycleSeconds: 900, sliceSeconds: 30, filePattern: DEFAULT_FILE_PATTERN, segmentPattern: DEFAULT_SEGMENT_PATTERN }],
  transcodeFormats: [{ format: 'm3u8', cycleSeconds: 1800, sliceSeconds: 6, filePattern: DEFAULT_TRANSCODE_FILE_PATTERN, segmentPattern: DEFAULT_TRANSCODE_SEGMENT_PATTERN }],
  transcodeTemplates: ['sd'], storage: { kind: 'local', bucket: '', endpoint: '' }, vod: null, createdMs: 0, updatedMs: 0,
};

describe('rendition plan', () => {
  it('records a rendition with the transcode formats, the source name and template id bound into the naming', () => {
    const r = renditionTemplate(t, 'demo', 'sd');
    assert.deepEqual(r.formats, [{
      format: 'm3u8', cycleSeconds: 1800, sliceSeconds: 6,
      filePattern: 'transcodeRecord/{AppName}/demo_sd/{EscapedStartTime}_{EscapedEndTime}',
      segmentPattern: 'transcodeRecord/{AppName}/demo_sd/{UnixTimestamp}_{Sequence}',
    }]);
    assert.deepEqual(r.transcodeTemplates, []);
    assert.equal(r.id, t.id, 'the decision names the source recording template');
  });
});
