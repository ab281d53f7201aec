import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from '../src/byte-range.js';
import { objectKeyOf } from '../src/object-key.js';

describe('byte ranges', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    [`bytes=${'9'.repeat(400)}-`, 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
  ];
  for (const [header, size, want] of cases) {
    it(`${header ?? '(none)'} of ${size} bytes`, () => assert.deepEqual(parseRange(header, size), want));
  }
});

describe('object keys of request targets', () => {
  it('decodes the path and drops the query', () => {
    assert.deepEqual(objectKeyOf('/record/live/a%20b.ts?x=1'), { ok: true, key: 'record/live/a b.ts' });
  });
  it('refuses a malformed escape with 400, not an exception', () => {
    assert.equal(objectKeyOf('/record/%E0%A4%A.ts').ok, false);
    assert.deepEqual(objectKeyOf('/%'), { ok: false, status: 400, reason: 'malformed percent-encoding in the path' });
  });
  it('refuses targets that are not absolute paths', () => {
    assert.equal((objectKeyOf('*') as { status: number }).status, 400);
    assert.equal((objectKeyOf('http://other/x.ts') as { status: number }).status, 400);
    assert.equal((objectKeyOf('/') as { status: number }).status, 404);
  });
});
