/**
 * A real etcd for the state store tests: Debian's `etcd-server` binary run as a plain process (not a
 * service), single member, with a temporary data dir, on free loopback ports for clients and peers.
 * With `auth`, it gets a root user, a read-write user and a read-only user, each with a role on the
 * prefix, set up through the etcd3 client's auth API (etcdctl may not be installed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, Range } from 'etcd3';
import { awaitLine, freePort, killAtExit, stopProcess } from './git-processes.js';

const etcdPaths = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

export type EtcdUser = 'root' | 'writer' | 'reader';

/** A running etcd. */
export type EtcdServer = Readonly<{
  /** `etcd://127.0.0.1:<client port><prefix>`. */
  url: string;
  /** `127.0.0.1:<client port>`, for an etcd3 client of the test's own. */
  host: string;
  prefix: string;
  /** The user's name and password (with `auth`; without it any credentials are ignored by etcd). */
  credentials(user: EtcdUser): { username: string; password: string };
  /** A client of the test's own (root with `auth`); the helper closes it at stop. */
  admin(): Etcd3;
  /** SIGSTOP / SIGCONT: a hung etcd that keeps its connections open. */
  pause(): void;
  resume(): void;
  /** Kills etcd and removes its data dir. Idempotent. */
  stop(): Promise<void>;
}>;

export type EtcdStartOptions = Readonly<{ auth?: boolean; prefix?: string }>;

/**
 * Starts etcd, or answers `{ unavailable }` when it is not installed (the caller skips its tests
 * visibly). Any other start-up failure throws: an installed etcd that does not start is a broken
 * test setup, not a reason to skip.
 */
export async function startEtcd(options: EtcdStartOptions = {}): Promise<EtcdServer | { unavailable: string }> {
  const binary = etcdPaths.find((path) => existsSync(path));
  if (binary === undefined) return { unavailable: 'etcd not installed (apt-get install etcd-server)' };
  const prefix = options.prefix ?? '/rancher-reconciler';
  const dir = await mkdtemp(join(tmpdir(), 'etcd-'));
  for (let attempt = 1; ; attempt += 1) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const child = spawn(binary, etcdArgs(dir, clientPort, peerPort), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    killAtExit(child);
    const ready = await awaitLine(child, /serving client traffic|ready to serve client requests/); // zap (3.4+) or capnslog
    if (ready.ok) {
      const host = `127.0.0.1:${clientPort}`;
      const server = describeServer(child, dir, host, prefix, options.auth === true);
      if (options.auth === true) await enableAuth(host, prefix).catch(async (e: unknown) => {
        await server.stop();
        throw e;
      });
      return server;
    }
    if (attempt >= 5 || !/address already in use/i.test(ready.output)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`etcd did not start: ${ready.output.slice(-4000)}`);
    }
    await rm(join(dir, 'data'), { recursive: true, force: true });
  }
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=test',
    `--data-dir=${join(dir, 'data')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    '--initial-cluster-state=new',
    '--logger=zap',
    '--log-outputs=stderr',
  ];
}

const passwords: Readonly<Record<EtcdUser, string>> = { root: 'root-secret-pw', writer: 'writer-secret-pw', reader: 'reader-secret-pw' };

function describeServer(child: ChildProcess, dir: string, host: string, prefix: string, auth: boolean): EtcdServer {
  const clients: Etcd3[] = [];
  let stopped: Promise<void> | undefined;
  return {
    url: `etcd://${host}${prefix}`,
    host,
    prefix,
    credentials: (user) => ({ username: user, password: passwords[user] }),
    admin: () => {
      const client = new Etcd3({ hosts: host, ...(auth ? { auth: { username: 'root', password: passwords.root } } : {}) });
      clients.push(client);
      return client;
    },
    pause: () => process.kill(-child.pid!, 'SIGSTOP'),
    resume: () => process.kill(-child.pid!, 'SIGCONT'),
    stop: () =>
      (stopped ??= (async () => {
        for (const client of clients.splice(0)) client.close();
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGCONT'); // a paused etcd cannot die
        await stopProcess(child, 'SIGKILL', { group: true });
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/** Root, a read-write role and user on the prefix, a read-only one; then auth on. */
async function enableAuth(host: string, prefix: string): Promise<void> {
  const client = new Etcd3({ hosts: host });
  try {
    const range = Range.prefix(prefix);
    await client.role('root').create();
    await (await client.user('root').create(passwords.root)).addRole('root');
    await (await client.role('reconciler-rw').create()).grant({ permission: 'Readwrite', range });
    await (await client.user('writer').create(passwords.writer)).addRole('reconciler-rw');
    await (await client.role('reconciler-ro').create()).grant({ permission: 'Read', range });
    await (await client.user('reader').create(passwords.reader)).addRole('reconciler-ro');
    await client.auth.authEnable();
  } finally {
    client.close();
  }
}
