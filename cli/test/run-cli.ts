// Runs the CLI as users do: `node cli/liverecord.mjs …` in a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LAUNCHER = fileURLToPath(new URL('../liverecord.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a test run: no key or server leaking in from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(LIVERECORD_|LR_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string; command?: string[] } = {}): Promise<CliResult> {
  const [cmd, ...pre] = opts.command ?? [process.execPath, LAUNCHER];
  const child = spawn(cmd, [...pre, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
