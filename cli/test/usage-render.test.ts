// How `liverecord describe-live-record-usage` shows its answer: one row per domain and
// month, the minutes of each format as "format minutes" pairs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METHOD_NAMES } from '../../libs/client/index.js';
import { responseFields } from '../method-fields.js';
import { PAIR_FIELDS } from '../render/columns.js';
import { renderResponse } from '../render/response-view.js';

describe('usage rendering', () => {
  const fields = responseFields('describeLiveRecordUsage');

  it('a row per domain and month, minutes as format/amount pairs, peak time in the chosen zone', () => {
    const out = renderResponse(fields, {
      usageList: [
        { domainName: 'a.example', month: '2026-01', peakChannels: 3, peakTime: '2026-01-31T23:40:00Z', recordedMinutes: [{ format: 'm3u8', minutes: 60 }, { format: 'flv', minutes: 30.123456 }] },
        { domainName: 'b.example', month: '2026-01', peakChannels: 0, peakTime: '', recordedMinutes: [] },
      ],
    }, { utc: true, wide: false });
    assert.equal(out, [
      'DOMAIN NAME  MONTH    PEAK CHANNELS  PEAK TIME             RECORDED MINUTES',
      'a.example    2026-01  3              2026-01-31T23:40:00Z  m3u8 60, flv 30.123',
      'b.example    2026-01  0              -                     -',
    ].join('\n'));
  });

  it('names only list fields that have a name and an amount', () => {
    const pairs = new Map<string, string[]>();
    for (const m of METHOD_NAMES) {
      for (const f of responseFields(m)) {
        for (const x of f.fields ?? []) if (x.repeated && x.kind === 'message') pairs.set(x.name, (x.fields ?? []).map((y) => y.name));
      }
    }
    for (const [list, [name, amount]] of Object.entries(PAIR_FIELDS)) assert.deepEqual(pairs.get(list), [name, amount], list);
  });
});
