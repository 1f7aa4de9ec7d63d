/**
 * A real MariaDB for state store tests, run as a plain process (not a system service): a fresh data dir
 * from `mariadb-install-db` in a temp folder, then `mariadbd` on 127.0.0.1 and a free port, its socket
 * in the same folder. Once it answers, the helper creates a database and three users with random
 * passwords: `rw` (what a daemon needs: read, write, create tables), `ro` (SELECT only: what `plan`
 * gets) and `admin` (everything: for tests that tamper with the tables or hold locks).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { awaitLine, freePort, killAtExit, stopProcess } from './git-processes.js';

export type MariaDbUser = 'rw' | 'ro' | 'admin';

export type MariaDb = Readonly<{
  port: number;
  /** The database the users are granted (`rr`). */
  database: string;
  /** `mysql://<user>@127.0.0.1:<port>/rr`: no password in it. */
  url(user: MariaDbUser): string;
  password(user: MariaDbUser): string;
  /** Kills the server and removes its data dir. Idempotent. */
  stop(): Promise<void>;
}>;

const serverPaths = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const installPaths = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
const database = 'rr';

/**
 * Starts MariaDB, or answers `{ unavailable }` when it is not installed (the caller skips visibly). Any
 * other start-up failure throws: an installed server that does not start is a broken setup, not a skip.
 */
export async function startMariaDb(): Promise<MariaDb | { unavailable: string }> {
  const server = serverPaths.find((path) => existsSync(path));
  const install = installPaths.find((path) => existsSync(path));
  if (server === undefined || install === undefined) return { unavailable: 'MariaDB is not installed (apt-get install mariadb-server)' };
  const dir = await mkdtemp(join(tmpdir(), 'mariadb-'));
  try {
    await installDataDir(install, dir);
    const { port, stop } = await startServer(server, dir);
    const passwords: Record<MariaDbUser, string> = { rw: secret(), ro: secret(), admin: secret() };
    try {
      await createUsers(join(dir, 'mysqld.sock'), passwords);
    } catch (e: unknown) {
      await stop();
      throw e;
    }
    return {
      port,
      database,
      url: (user) => `mysql://${user}@127.0.0.1:${port}/${database}`,
      password: (user) => passwords[user],
      stop,
    };
  } catch (e: unknown) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function secret(): string {
  return randomBytes(12).toString('hex');
}

const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];

/** Small buffers and logs, no performance schema, no binlog: a test server starts in a second or two. */
const smallServer = ['--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--performance-schema=OFF', '--skip-log-bin', '--innodb-flush-log-at-trx-commit=2'];

async function installDataDir(install: string, dir: string): Promise<void> {
  await mkdir(join(dir, 'data'));
  const args = [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    ...asRoot,
  ];
  const output = await run(install, args);
  if (output.code !== 0) throw new Error(`${install} exited ${output.code}: ${output.text}`);
}

function run(command: string, args: string[]): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, text }));
  });
}

async function startServer(server: string, dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const args = [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--tmpdir=${dir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      ...smallServer,
      ...asRoot,
    ];
    const child = spawn(server, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    killAtExit(child);
    const ready = await awaitLine(child, /ready for connections/);
    if (ready.ok) {
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopped ??= (async () => {
          await stopProcess(child, 'SIGKILL', { group: true });
          await rm(dir, { recursive: true, force: true });
        })());
      return { port, stop };
    }
    if (attempt >= 5 || !/in use/i.test(ready.output)) throw new Error(`${server} did not start: ${ready.output}`);
  }
}

async function createUsers(socketPath: string, passwords: Record<MariaDbUser, string>): Promise<void> {
  const conn = await createConnection({ socketPath, user: 'root' });
  try {
    await conn.query(`CREATE DATABASE ${database}`);
    const grants: Record<MariaDbUser, string> = {
      rw: `SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON ${database}.*`,
      ro: `SELECT ON ${database}.*`,
      admin: 'ALL PRIVILEGES ON *.*',
    };
    for (const user of Object.keys(grants) as MariaDbUser[]) {
      // 127.0.0.1, not %: the server skips name resolution, and no anonymous user can match before it
      await conn.query(`CREATE USER ?@'127.0.0.1' IDENTIFIED BY ?`, [user, passwords[user]]);
      await conn.query(`GRANT ${grants[user]} TO ?@'127.0.0.1'`, [user]);
    }
  } finally {
    await conn.end();
  }
}
