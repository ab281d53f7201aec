// One subcommand per method of the service, enumerated from the generated service
// definition: a method added to the proto becomes a command without a change here.
import { METHOD_NAMES, rpcName, rpcPath, type MethodName } from '../libs/client/index.js';
import { DESCRIPTIONS } from './descriptions.js';

export interface MethodCommand {
  /** kebab-case, e.g. describe-live-record-config. */
  name: string;
  method: MethodName;
  /** The proto's method name, e.g. DescribeLiveRecordConfig (also accepted as the command). */
  rpc: string;
  path: string;
  description: string;
}

export function kebab(pascalOrCamel: string): string {
  return pascalOrCamel.replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());
}

export const COMMANDS: readonly MethodCommand[] = METHOD_NAMES.map((method) => ({
  name: kebab(rpcName(method)),
  method,
  rpc: rpcName(method),
  path: rpcPath(method),
  description: DESCRIPTIONS[method],
}));

/** By kebab-case name, proto name or camelCase name, ignoring case. */
export function findCommand(word: string): MethodCommand | undefined {
  const w = word.toLowerCase();
  return COMMANDS.find((c) => c.name === w || c.rpc.toLowerCase() === w);
}
