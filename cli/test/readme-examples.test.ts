// Every `npx liverecord …` example in README.md names a real command with valid flags,
// so the documentation cannot drift from the CLI (parsed only; no server is called).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../argv.js';
import { findCommand } from '../commands.js';
import { consoleLink } from '../console-command.js';
import { requestFields } from '../method-fields.js';
import { buildRequest } from '../request-builder.js';
import { REPO_ROOT } from './run-cli.js';

/** Words of a shell line: single quotes and plain words are all the README uses. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

function examples(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const lines = text.split('\n');
  const out: string[] = [];
  // Code blocks, indented ones (inside a list) included; a trailing backslash continues the line.
  for (let i = 0; i < lines.length; i++) {
    let cmd = lines[i].trimStart();
    if (!cmd.startsWith('npx liverecord ')) continue;
    while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1)} ${lines[++i].trim()}`;
    out.push(cmd);
  }
  // Inline code in the prose, which may wrap onto the next line; a synopsis's placeholders
  // (`--primary-key … [--secondary-key …]`) stand for values, its brackets for optional flags.
  for (const m of text.matchAll(/`(npx liverecord [^`]+)`/g)) out.push(m[1].replace(/\s+/g, ' ').replace(/…/g, 'value').replace(/[[\]]/g, ''));
  return out;
}

describe('README examples', () => {
  it('use real commands and flags', () => {
    const found = examples();
    assert.ok(found.length >= 5, `README.md shows the CLI (${found.length} examples)`);
    for (const example of found) {
      const [, , name, ...args] = shellWords(example);
      if (name === 'help') continue;
      if (name === 'console') {
        assert.match(consoleLink(args, { LIVERECORD_API_KEY: 'lrk_0000000000000000_example' }), /\/console#key=/, example);
        continue;
      }
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
