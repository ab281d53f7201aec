// Every `npx liverecord …` example in README.md names a real command with valid flags,
// so the documentation cannot drift from the CLI (parsed only; no server is called).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../argv.js';
import { findCommand } from '../commands.js';
import { requestFields } from '../method-fields.js';
import { buildRequest } from '../request-builder.js';
import { REPO_ROOT } from './run-cli.js';

/** Words of a shell line: single quotes and plain words are all the README uses. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

function examples(): string[] {
  const lines = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('npx liverecord ')) continue;
    let cmd = lines[i];
    while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1)} ${lines[++i].trim()}`;
    out.push(cmd);
  }
  return out;
}

describe('README examples', () => {
  it('use real commands and flags', () => {
    const found = examples();
    assert.ok(found.length >= 5, `README.md shows the CLI (${found.length} examples)`);
    for (const example of found) {
      const [, , name, ...args] = shellWords(example);
      if (name === 'help') continue;
      const cmd = findCommand(name);
      assert.ok(cmd, `${example}: unknown command`);
      const fields = requestFields(cmd.method);
      assert.doesNotThrow(() => {
        const parsed = parseCommandLine(cmd.name, args, fields);
        buildRequest(fields, parsed.globals.request, parsed.fields, { command: cmd.name, utc: parsed.globals.utc });
      }, example);
    }
  });
});
