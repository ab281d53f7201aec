import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './index.js';

/** The newest PostgreSQL server installed from Debian's packages. */
function serverBin(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? `/usr/lib/postgresql/${versions[0]}/bin` : '/usr/lib/postgresql/15/bin';
}
const BIN = serverBin();

export interface ThrowawayPostgres {
  url: string;
  stop(): void;
}

/** A PostgreSQL cluster of its own on a free loopback port, for the tests of the PostgreSQL path. */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  if (!existsSync(`${BIN}/initdb`)) throw new Error(`PostgreSQL 15 server binaries not found in ${BIN} (apt-get install postgresql)`);
  const dir = mkdtempSync(join(tmpdir(), 'lr-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(pw.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  // initdb refuses to run as root: run the cluster as the postgres user.
  const run = (cmd: string, args: string[]) => (asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' }) : execFileSync(cmd, args, { stdio: 'pipe' }));
  const port = await freePort();
  run(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  run(`${BIN}/pg_ctl`, ['-D', join(dir, 'data'), '-w', '-l', join(dir, 'log'), 'start', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(`${BIN}/pg_ctl`, ['-D', join(dir, 'data'), '-w', '-m', 'immediate', 'stop']);
      } catch { /* already gone */ }
    },
  };
}
