// The `liverecord` command: one subcommand per gRPC method. Parses the command line,
// builds the request from the generated message types, calls through the typed
// client, and prints a table (or --json). Returns the exit status instead of exiting,
// so output is flushed and tests can call it.
import { createLiveRecordClient, LiveRecordError, requestCodec, resolveConnection } from '../libs/client/index.js';
import { parseCommandLine } from './argv.js';
import { COMMANDS, findCommand, type MethodCommand } from './commands.js';
import { CONSOLE_HELP, consoleLink } from './console-command.js';
import { commandHelp, generalHelp } from './help-text.js';
import { requestFields, responseFields } from './method-fields.js';
import { renderResponse } from './render/response-view.js';
import { buildRequest } from './request-builder.js';
import { EXIT_CALL_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './usage-error.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

async function runMethod(cmd: MethodCommand, args: string[], io: Io): Promise<number> {
  const fields = requestFields(cmd.method);
  const { globals, fields: given } = parseCommandLine(cmd.name, args, fields);
  if (globals.help) {
    io.out(commandHelp(cmd, fields));
    return EXIT_OK;
  }
  const json = buildRequest(fields, globals.request, given, { command: cmd.name, utc: globals.utc });
  const request = requestCodec(cmd.method).fromJSON(json);
  const conn = resolveConnection({ server: globals.server, key: globals.key, dataDir: globals.dataDir }, io.env);
  const client = createLiveRecordClient({ address: conn.server, apiKey: conn.apiKey, timeoutMs: globals.timeoutMs });
  try {
    const response = await client.call(cmd.method, request as never);
    io.out(globals.json ? JSON.stringify(response, null, 2) : renderResponse(responseFields(cmd.method), response as Record<string, unknown>, globals));
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof LiveRecordError)) throw err;
    io.err(`${err.codeName}: ${err.details}`);
    return EXIT_CALL_FAILED;
  } finally {
    client.close();
  }
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  let command: string | undefined;
  try {
    if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
      const topic = first === 'help' ? rest[0] : undefined;
      if (topic === undefined) {
        io.out(generalHelp());
        return EXIT_OK;
      }
      if (topic === 'console') {
        io.out(CONSOLE_HELP);
        return EXIT_OK;
      }
      const cmd = findCommand(topic);
      if (!cmd) throw new UsageError(`unknown command '${topic}'`);
      io.out(commandHelp(cmd, requestFields(cmd.method)));
      return EXIT_OK;
    }
    // Not a gRPC method: a link to the web console.
    if (first === 'console') {
      command = 'console';
      if (rest.includes('--help') || rest.includes('-h')) io.out(CONSOLE_HELP);
      else io.out(consoleLink(rest, io.env));
      return EXIT_OK;
    }
    const cmd = findCommand(first);
    if (!cmd) {
      const near = COMMANDS.filter((c) => c.name.includes(first.toLowerCase())).map((c) => c.name);
      throw new UsageError(`unknown command '${first}'${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}`);
    }
    command = cmd.name;
    return await runMethod(cmd, rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`liverecord: ${err.message}`);
      const about = err.command ?? command;
      io.err(about ? `Run 'liverecord help ${about}' for its flags.` : "Run 'liverecord help' for the commands.");
      return EXIT_USAGE;
    }
    io.err(`liverecord: ${(err as Error).message}`);
    return EXIT_CALL_FAILED;
  }
}
