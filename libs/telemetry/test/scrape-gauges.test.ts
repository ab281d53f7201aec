// Scrape-time gauges: exposition format, and series that leave /metrics when their source stops reporting them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addScrapeGauges, renderGaugeFamilies, scrapeGaugeText } from '../scrape-gauges.js';

describe('scrape-time gauges', () => {
  it('renders families in the Prometheus text format, labels escaped, empty families left out', () => {
    const text = renderGaugeFamilies([
      { name: 'lr_test_a', help: 'A gauge\nover two lines', samples: [{ labels: { domain: 'a.example', note: 'say "hi" \\ bye\n' }, value: 1.5 }, { labels: {}, value: NaN }] },
      { name: 'lr_test_empty', help: 'nothing', samples: [] },
    ]);
    assert.equal(text, [
      '# HELP lr_test_a A gauge\\nover two lines',
      '# TYPE lr_test_a gauge',
      'lr_test_a{domain="a.example",note="say \\"hi\\" \\\\ bye\\n"} 1.5',
      'lr_test_a NaN',
      '',
      '',
    ].join('\n'));
  });

  it('serves exactly the series of the latest reading, and nothing once the source is removed', async () => {
    let month = '2026-01';
    const remove = addScrapeGauges(async () => [{ name: 'lr_test_month', help: 'h', samples: [{ labels: { month }, value: 1 }] }]);
    assert.match(await scrapeGaugeText(), /^lr_test_month\{month="2026-01"\} 1$/m);
    month = '2026-02';
    const next = await scrapeGaugeText();
    assert.match(next, /^lr_test_month\{month="2026-02"\} 1$/m);
    assert.doesNotMatch(next, /2026-01/, 'a month that ended is gone, not kept at its last value');
    remove();
    assert.doesNotMatch(await scrapeGaugeText(), /lr_test_month/);
  });

  it('leaves out a source that fails, keeping the others', async () => {
    const removeBad = addScrapeGauges(async () => { throw new Error('index down'); });
    const removeGood = addScrapeGauges(async () => [{ name: 'lr_test_ok', help: 'h', samples: [{ labels: {}, value: 2 }] }]);
    try {
      assert.match(await scrapeGaugeText(), /^lr_test_ok 2$/m);
    } finally {
      removeBad();
      removeGood();
    }
  });
});
