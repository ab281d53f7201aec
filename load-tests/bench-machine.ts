// What a benchmark report says about where it ran: machine, versions, and the commit (the
// systems run the working tree's build, so files that differ from the commit are named).
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { REPO_ROOT } from '../test-kit/index.js';

/** The first line a command prints, or 'unknown'. */
export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) return 'unknown';
  return ((r.stdout || r.stderr || '').split('\n')[0] ?? '').trim() || 'unknown';
}

export function machineInfo(): Record<string, string | number> {
  const commit = firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = (spawnSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map((l) => l.slice(3));
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-version']).replace(/ Copyright.*/, ''),
    natsServer: firstLine('nats-server', ['--version']),
    commit: dirty.length ? `${commit} (uncommitted changes in the working tree: ${dirty.join(', ')})` : commit,
  };
}
