import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IngestPublished, RecordTemplate } from '../../../libs/bus/index.js';
import { matchTemplate, planFor, pushArgsOf } from './template-match.js';

const tpl = (id: string, domain: string, app: string, stream: string, createdMs = 1): RecordTemplate => ({
  id, kind: 'oss', domain, app, stream, trigger: 0, delaySeconds: 180, createdMs,
  formats: [{ format: 'm3u8', cycleSeconds: 3600, sliceSeconds: 10, filePattern: 'f/{StreamName}', segmentPattern: 's/{Sequence}' }],
  storage: { kind: 'local', bucket: '', endpoint: '' },
  recordContent: ['raw'], transcodeFormats: [], transcodeTemplates: [], vod: null, updatedMs: createdMs,
});

describe('template matching', () => {
  const all = [tpl('any', 'd.com', '*', '*'), tpl('app', 'd.com', 'live', '*'), tpl('exact', 'd.com', 'live', 'cam1'), tpl('other', 'e.com', '*', '*'), tpl('anyapp-stream', 'd.com', '*', 'cam9')];
  const cases: [string, string, string, string | null][] = [
    ['d.com', 'live', 'cam1', 'exact'],
    ['d.com', 'live', 'cam2', 'app'],
    ['d.com', 'vod', 'cam1', 'any'],
    ['e.com', 'live', 'cam1', 'other'],
    ['f.com', 'live', 'cam1', null],
    ['d.com', 'vod', 'cam9', 'anyapp-stream'],
    ['d.com', 'live', 'cam9', 'app'],
  ];
  for (const [domain, app, stream, want] of cases) {
    it(`${domain}/${app}/${stream} -> ${want}`, () => {
      assert.equal(matchTemplate(all, { domain, app, stream })?.id ?? null, want);
    });
  }

  it('ties go to the older template, then the smaller id', () => {
    assert.equal(matchTemplate([tpl('b', 'd', '*', '*', 5), tpl('a', 'd', '*', '*', 9)], { domain: 'd', app: 'x', stream: 'y' })?.id, 'b');
    assert.equal(matchTemplate([tpl('b', 'd', '*', '*', 5), tpl('a', 'd', '*', '*', 5)], { domain: 'd', app: 'x', stream: 'y' })?.id, 'a');
  });

  it('plans: callback_* parameters become push args, cycle overrides per format', () => {
    const publish = { params: { callback_user: 'u1', callback_x: ['a', 'b'], other: 'z' } } as unknown as IngestPublished;
    assert.deepEqual(pushArgsOf(publish.params), { callback_user: 'u1', callback_x: 'b' });
    const plan = planFor(tpl('t', 'd', '*', '*'), publish, { m3u8: 60 });
    assert.equal(plan.formats[0].cycleSeconds, 60);
    assert.equal(plan.sliceSeconds, 10);
    assert.equal(plan.segmentContainer, 'ts');
    assert.equal(plan.segmentPattern, 's/{Sequence}');
  });
});
