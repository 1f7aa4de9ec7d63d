/**
 * One shared state store for a set of replicas, on either engine (test/helpers/mariadb.ts,
 * test/helpers/etcd.ts), seen by the replicas through a URL whose port can be swapped for a TCP proxy's
 * (test/helpers/tcp-proxy.ts), so that one replica alone can be cut off the database.
 */
import { existsSync } from 'node:fs';
import { startEtcd } from './etcd.js';
import { startMariaDb } from './mariadb.js';

export type Backend = 'mysql' | 'etcd';

export type SharedStore = Readonly<{
  backend: Backend;
  /** The engine's own client port on 127.0.0.1 (what a proxy forwards to). */
  port: number;
  /** `--state-store` for a replica reaching the engine on `port` (the engine's own or a proxy's). */
  urlVia(port: number): string;
  /** The password for `--state-store-password-file`, when the engine wants one. */
  password: string | undefined;
  stop(): Promise<void>;
}>;

/**
 * Whether the engine's binaries are installed, to decide `it` or `it.skip` when the file loads (the same
 * paths the engine helpers look for; they answer `{ unavailable }` on exactly this condition).
 */
export function engineInstalled(backend: Backend): boolean {
  const paths = backend === 'mysql'
    ? [['/usr/sbin/mariadbd', '/usr/sbin/mysqld'], ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db']]
    : [['/usr/bin/etcd', '/usr/local/bin/etcd']];
  return paths.every((alternatives) => alternatives.some((path) => existsSync(path)));
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString().replace(/\/$/, '');
}

/** Starts the engine with a fresh data dir; `{ unavailable }` when it is not installed. */
export async function startSharedStore(backend: Backend): Promise<SharedStore | { unavailable: string }> {
  if (backend === 'mysql') {
    const db = await startMariaDb();
    if ('unavailable' in db) return db;
    return { backend, port: db.port, urlVia: (port) => withPort(db.url('rw'), port), password: db.password('rw'), stop: () => db.stop() };
  }
  const etcd = await startEtcd({ prefix: `/rr-replicas-${process.pid}` });
  if ('unavailable' in etcd) return etcd;
  const port = Number(new URL(etcd.url).port);
  return { backend, port, urlVia: (via) => withPort(etcd.url, via), password: undefined, stop: () => etcd.stop() };
}
