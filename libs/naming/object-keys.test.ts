import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FILE_PATTERN, DEFAULT_SEGMENT_PATTERN, escapedTime, isSafeName, patternProblem, relativeKey, renderKey } from './object-keys.js';

const T = Date.UTC(2026, 0, 2, 3, 4, 5);

describe('naming', () => {
  it('escapes times as UTC YYYY-MM-DD-HH-mm-ss', () => {
    assert.equal(escapedTime(T), '2026-01-02-03-04-05');
  });

  const renders: [string, Record<string, string | number>, string, string][] = [
    [DEFAULT_FILE_PATTERN, { AppName: 'live', StreamName: 's1', EscapedStartTime: escapedTime(T), EscapedEndTime: escapedTime(T + 61000) }, '.m3u8', 'record/live/s1/2026-01-02-03-04-05_2026-01-02-03-05-06.m3u8'],
    [DEFAULT_SEGMENT_PATTERN, { AppName: 'live', StreamName: 's1', UnixTimestamp: 1767323045, Sequence: 7 }, '.ts', 'record/live/s1/1767323045_7.ts'],
    ['x/{StreamName}_{TranscodingTemplateID}/{Sequence}', { StreamName: 's', TranscodeTemplateID: 'sd', Sequence: 1 }, '.flv', 'x/s_sd/1.flv'],
  ];
  for (const [pattern, vars, ext, want] of renders) {
    it(`renders ${pattern}`, () => assert.equal(renderKey(pattern, vars, ext), want));
  }

  it('refuses a rendered key that would leave the root', () => {
    assert.throws(() => renderKey('a/{StreamName}', { StreamName: '..' }, ''), /not a safe object key/);
    assert.throws(() => renderKey('a/{StreamName}', {}, ''), /no value/);
  });

  const problems: [string, RegExp | null][] = [
    [DEFAULT_FILE_PATTERN, null],
    ['record/{AppName}/{Nope}', /unknown placeholder \{Nope\}/],
    ['record/{AppName', /unbalanced/],
    ['/abs/{AppName}', /relative/],
    ['a/../{AppName}', /relative/],
    ['a b/{AppName}', /may only contain/],
    ['', /empty/],
  ];
  for (const [pattern, want] of problems) {
    it(`pattern "${pattern}" is ${want ? 'refused' : 'accepted'}`, () => {
      const p = patternProblem(pattern);
      if (want) assert.match(p ?? '', want);
      else assert.equal(p, null);
    });
  }

  it('validates names', () => {
    assert.ok(isSafeName('stream_1-a'));
    for (const bad of ['', '..', 'a/b', 'a b', 'x'.repeat(129)]) assert.equal(isSafeName(bad), false, bad);
  });

  it('relative keys', () => {
    assert.equal(relativeKey('a/b/p.m3u8', 'a/b/s.ts'), 's.ts');
    assert.equal(relativeKey('a/b/p.m3u8', 'a/c/s.ts'), '../c/s.ts');
    assert.equal(relativeKey('p.m3u8', 'a/s.ts'), 'a/s.ts');
  });
});
