// `liverecord help` and `liverecord help <command>`, written from the command list
// and the request's fields, so that help cannot fall behind the proto.
import { DEFAULT_SERVER } from '../libs/client/index.js';
import { flagName } from './argv.js';
import { COMMANDS, type MethodCommand } from './commands.js';
import { CONSOLE_DESCRIPTION } from './console-command.js';
import type { FieldSpec } from './message-schema.js';
import { fieldComments } from './proto-comments.js';
import { renderTable } from './render/text-table.js';
import { isTimeField, TIME_INPUT_HELP } from './time-format.js';

const GLOBAL_HELP: [string, string][] = [
  ['--server <host:port>', `gRPC API address (env LIVERECORD_SERVER; default ${DEFAULT_SERVER})`],
  ['--key <key>', 'API key, sent as "authorization: Bearer <key>" (env LIVERECORD_API_KEY, else {data dir}/admin.key)'],
  ['--data-dir <dir>', 'where admin.key is looked for (env LR_DATA_DIR; default ./data)'],
  ['--json', 'print the raw response as JSON (camelCase field names, times in UTC)'],
  ["--json '{...}'", 'the whole request as JSON (also @file, or - for stdin); flags override its fields'],
  ['--request <json>', 'the same as --json with a request, for scripts that prefer an unambiguous flag'],
  ['--utc', 'show and read times in UTC instead of local time'],
  ['--wide', 'show every column of a table'],
  ['--timeout <seconds>', 'deadline of the call (default 30)'],
  ['-h, --help', 'help of a command'],
];

function indentTable(rows: [string, string][]): string {
  return renderTable(['', ''], rows).split('\n').slice(1).map((l) => `  ${l}`).join('\n');
}

export function generalHelp(): string {
  const commands: [string, string][] = COMMANDS.map((c) => [c.name, c.description]);
  commands.push(['console', CONSOLE_DESCRIPTION]);
  commands.push(['help [command]', 'This text, or the flags of a command.']);
  return [
    'liverecord: command-line client of the liverecord gRPC API (liverecord.v1.LiveRecordService)',
    '',
    'Usage: liverecord <command> [--field value ...] [--json] [--utc] [--server host:port]',
    '',
    'Commands (one per gRPC method; the proto name, e.g. DescribeLiveRecordConfig, works too):',
    indentTable(commands),
    '',
    'Global flags:',
    indentTable(GLOBAL_HELP),
    '',
    'Exit status: 0 on success, 1 when the call fails (the gRPC status is printed on stderr), 2 on a usage error.',
  ].join('\n');
}

function fieldList(fields: FieldSpec[]): string {
  return `{${fields.map((f) => f.protoName).join(', ')}}`;
}

function flagHelp(f: FieldSpec, note: string | undefined): [string, string] {
  const [flag, text] = flagShape(f);
  return [flag, [text, note].filter(Boolean).join(' ')];
}

function flagShape(f: FieldSpec): [string, string] {
  const name = `--${flagName(f)}`;
  if (f.kind === 'boolean' && !f.repeated) return [`${name}, --no-${flagName(f)}`, 'true / false (default false).'];
  if (f.kind === 'message') {
    const shape = fieldList(f.fields ?? []);
    return [`${name} <json>`, f.repeated ? `list of ${shape}: a JSON array, or one object per ${name}.` : `object ${shape}.`];
  }
  if (f.repeated) return [`${name} <${f.kind}>`, `list: repeat ${name}, or give a JSON array.`];
  if (f.kind === 'string' && isTimeField(f.name)) return [`${name} <time>`, 'a time (see below).'];
  return [`${name} <${f.kind}>`, ''];
}

export function commandHelp(cmd: MethodCommand, fields: FieldSpec[]): string {
  const notes = fieldComments(`${cmd.rpc}Request`);
  const hasTimes = fields.some((f) => f.kind === 'string' && isTimeField(f.name));
  return [
    `liverecord ${cmd.name}: ${cmd.description}`,
    `gRPC: ${cmd.path.slice(1)}`,
    '',
    `Usage: liverecord ${cmd.name} ${fields.length ? '[--field value ...] ' : ''}[--json] [global flags]`,
    '',
    fields.length ? 'Request fields:' : 'The request has no fields.',
    ...(fields.length ? [indentTable(fields.map((f) => flagHelp(f, notes.get(f.protoName))))] : []),
    ...(hasTimes ? ['', `Times: ${TIME_INPUT_HELP}. A value starting with '-' is attached: --start-time=-2h.`] : []),
    '',
    'Global flags:',
    indentTable(GLOBAL_HELP),
  ].join('\n');
}
