// `npm start` runs the compiled JavaScript: the build works, the compiled system records a push
// and serves the web console the build made.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTestMedia, push, startSystem, waitFor } from '../../../test-kit/index.js';

describe('compiled start', () => {
  it('builds dist/ and the compiled system records a push', async () => {
    const sys = await startSystem({ LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1' }, undefined, { compiled: true });
    try {
      assert.equal(await push(makeTestMedia('h264-aac', 6), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/compiled`).done, 0);
      const dir = join(sys.storageRoot, 'record/live/compiled');
      await waitFor('the recording', () => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.m3u8')), 30000);
      assert.doesNotMatch(sys.logs(), /tsx|esbuild/i);
      // The build made the web console too, and the compiled api finds it (dist/console-app from dist/services/…).
      const page = await fetch(`http://127.0.0.1:${sys.ports.http}/console`);
      assert.equal(page.status, 200, await page.clone().text());
      assert.match(await page.text(), /<script type="module" src="\/console\/assets\/app\.js">/);
      const app = await fetch(`http://127.0.0.1:${sys.ports.http}/console/assets/app.js`);
      assert.equal(app.status, 200);
      assert.ok((await app.arrayBuffer()).byteLength > 10_000, 'the bundle holds Preact and hls.js');
    } finally {
      assert.equal(await sys.stop(), 0);
    }
  });
});
