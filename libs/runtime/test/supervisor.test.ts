import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../../test-kit/index.js';

interface Summary {
  starts: number;
  stops: number;
  restarts: { service: string; attempt: number; ok: boolean }[];
  escaped: { service: string | null; message: string; kind: string }[];
}

describe('a supervised service whose work throws', () => {
  it('is restarted with backoff each time; the process lives on and reports every escaped error', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'libs/runtime/test/escaping-service.ts')], { cwd: REPO_ROOT, env: { ...process.env, LR_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, out);
    const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string } & Partial<Summary>);
    const summary = events.find((e) => e.event === 'summary') as unknown as Summary;
    assert.ok(summary, out);
    assert.equal(summary.starts, 4, 'first start and three restarts');
    assert.deepEqual(summary.restarts.map((r) => [r.service, r.ok]), [['flaky', true], ['flaky', true], ['flaky', true]]);
    // Each restart stops the failed run first; the supervisor's own stop stops the last.
    assert.equal(summary.stops, 4);
    // Order aside (a loaded machine may fire "late" earlier): every error reported, with its service when it has one.
    assert.deepEqual(summary.escaped.map((e) => [e.message, e.service]).sort(), [
      ['boom 1', 'flaky'], ['boom 2', 'flaky'], ['late', 'flaky'], ['outside any service', null], ['rejected', 'flaky'],
    ]);
    assert.deepEqual([...new Set(summary.escaped.map((e) => e.kind))].sort(), ['uncaught_exception', 'unhandled_rejection']);
  });
});
