// The command line of one subcommand: global flags plus one flag per request field,
// parsed strictly so that a mistyped flag is an error naming it, not a silently
// empty field.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { FieldSpec } from './message-schema.js';
import { UsageError } from './usage-error.js';

export interface GlobalOptions {
  server?: string;
  key?: string;
  dataDir?: string;
  /** Print the raw response as JSON. */
  json: boolean;
  /** The whole request as JSON text, @file or - (stdin). */
  request?: string;
  utc: boolean;
  wide: boolean;
  timeoutMs?: number;
  help: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_FLAGS = {
  server: { type: 'string' },
  key: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  request: { type: 'string' },
  utc: { type: 'boolean' },
  wide: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export function flagName(field: FieldSpec): string {
  return field.protoName.replace(/_/g, '-');
}

export type FlagValue = string | boolean | (string | boolean)[] | undefined;

export interface ParsedCommandLine {
  globals: GlobalOptions;
  /** Values of the request-field flags that were given, by field (camelCase) name. */
  fields: Map<string, FlagValue>;
}

/**
 * `--json` is both the output switch and, followed by a JSON object, @file or -, the
 * request; the second use is taken out before parsing so that parseArgs sees a switch.
 */
export function extractJsonRequest(args: readonly string[]): { args: string[]; request?: string } {
  const rest: string[] = [];
  let request: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (a === '--json' && next !== undefined && (next.trimStart().startsWith('{') || next.startsWith('@') || next === '-')) {
      request = next;
      i++;
    } else if (a.startsWith('--json=')) {
      request = a.slice('--json='.length);
    } else {
      rest.push(a);
    }
  }
  return { args: rest, request };
}

function fieldOptions(fields: FieldSpec[]): Options {
  const options: Options = {};
  for (const f of fields) {
    const name = flagName(f);
    if (name in GLOBAL_FLAGS) throw new Error(`request field ${f.protoName} collides with the global flag --${name}`);
    options[name] = f.kind === 'boolean' && !f.repeated ? { type: 'boolean' } : { type: 'string', multiple: f.repeated };
  }
  return options;
}

/** Edit distance, to suggest the flag that was meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function suggest(unknown: string, known: string[]): string {
  const bare = unknown.replace(/^-+/, '').split('=')[0];
  const best = known.map((k) => ({ k, d: distance(bare, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(bare.length / 4)) ? ` (did you mean --${best.k}?)` : '';
}

function usageFromParseError(err: unknown, command: string, known: string[]): UsageError {
  const e = err as { code?: string; message: string };
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown flag ${quoted}${suggest(quoted, known)}`, command);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${quoted}': request fields are given as --flag value`, command);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0];
      if (/argument missing/.test(e.message)) return new UsageError(`flag ${flag} needs a value`, command);
      if (/does not take an argument/.test(e.message)) return new UsageError(`flag ${flag} takes no value (use ${flag} or --no-${flag.slice(2)})`, command);
      if (/ambiguous/.test(e.message)) return new UsageError(`flag ${flag}: a value starting with '-' must be attached: ${flag}=<value>`, command);
      return new UsageError(e.message, command);
    }
    default:
      return new UsageError(e.message, command);
  }
}

function parseTimeout(raw: string | undefined, command: string): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`flag --timeout: expected a number of seconds > 0, got '${raw}'`, command);
  return seconds * 1000;
}

export function parseCommandLine(command: string, argv: readonly string[], fields: FieldSpec[]): ParsedCommandLine {
  const { args, request } = extractJsonRequest(argv);
  const options: Options = { ...GLOBAL_FLAGS, ...fieldOptions(fields) };
  let values: Record<string, FlagValue>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false, allowNegative: true }).values as Record<string, FlagValue>;
  } catch (err) {
    throw usageFromParseError(err, command, Object.keys(options));
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (request !== undefined && str('request') !== undefined) throw new UsageError('give the request once: --json <request> or --request <request>', command);
  const globals: GlobalOptions = {
    server: str('server'),
    key: str('key'),
    dataDir: str('data-dir'),
    json: values.json === true,
    request: request ?? str('request'),
    utc: values.utc === true,
    wide: values.wide === true,
    timeoutMs: parseTimeout(str('timeout'), command),
    help: values.help === true,
  };
  const given = new Map<string, FlagValue>();
  for (const f of fields) {
    const v = values[flagName(f)];
    if (v !== undefined) given.set(f.name, v);
  }
  return { globals, fields: given };
}
