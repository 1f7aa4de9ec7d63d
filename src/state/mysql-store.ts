/**
 * The `mysql` state store (MySQL 5.7+, MariaDB 10.3+): records, leases and members in four tables
 * (./mysql-schema.ts), on the database Rancher already runs. Leases live on the database's clock
 * (UTC_TIMESTAMP(6): the same for every session, whatever its time zone), never on a replica's.
 *
 * Every operation runs under one deadline (`queryTimeoutMs`, from taking a pooled connection to the
 * commit): a hung database fails the call with ERR_STATE_STORE_UNAVAILABLE instead of hanging the leader
 * elector, and the connection it was on is destroyed (the server then rolls its transaction back).
 * Deadlocks (InnoDB's rollback of one of two transactions) are retried within the same deadline.
 */
import { createPool, type Pool, type PoolConnection, type PoolOptions, type RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../logger.js';
import { MysqlEnvironmentState, text, type MysqlRunner } from './mysql-environment.js';
import { errnoOf, retriedErrnos, toStateStoreError } from './mysql-errors.js';
import { checkSchema, migrateSchema, migrationStatements, mysqlSchemaVersion } from './mysql-schema.js';
import { StateStoreError, type EnvironmentState, type StateStore } from './state-store.js';

export type MysqlStoreOptions = Readonly<{
  /** `mysql://user@host:port/database`. A password in it is used when `password` is not given, and never printed. */
  url: string;
  password?: string;
  /** PEM CA certificate(s) (the file's contents): connect over TLS and verify the server against them. */
  ca?: string;
  /** Only read (for `plan`): no tables created, every write refused with ERR_STATE_STORE_DENIED. */
  readOnly?: boolean;
  /** The deadline of each operation, from taking a connection to the commit. Default 5000. */
  queryTimeoutMs?: number;
  log: Logger;
}>;

/** Connections per store: one leader's writes, its lease renewals and reads rarely overlap more. */
const poolSize = 4;
/** Tries of one operation that InnoDB keeps rolling back (a deadlock), e.g. six replicas creating one lease row. */
const attemptsPerOperation = 5;

type ParsedUrl = Readonly<{ host: string; port: number; user: string; password: string | undefined; database: string; description: string }>;

/** Splits a `mysql://` URL; throws a StateStoreError that does not repeat the URL (it may hold a password). */
export function parseMysqlUrl(url: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e: unknown) {
    throw new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', 'the mysql state store URL does not parse (expected mysql://user@host:port/database)', { retryable: false, cause: e });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (parsed.protocol !== 'mysql:' || parsed.hostname === '' || database === '' || database.includes('/')) {
    throw new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', 'the mysql state store URL must be mysql://user@host:port/database', { retryable: false });
  }
  const user = decodeURIComponent(parsed.username);
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const description = `mysql://${user === '' ? '' : `${parsed.username}@`}${parsed.hostname}:${port}/${parsed.pathname.replace(/^\//, '')}`;
  return { host, port, user, password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password), database, description };
}

/** Creates the store; nothing connects until `open()`. Throws ERR_STATE_STORE_UNAVAILABLE (not retryable) for a bad URL. */
export function createMysqlStore(options: MysqlStoreOptions): StateStore {
  return new MysqlStore(options);
}

class MysqlStore implements StateStore, MysqlRunner {
  readonly kind = 'mysql' as const;
  readonly elects = true;
  readonly description: string;
  readonly readOnly: boolean;
  readonly #url: ParsedUrl;
  readonly #password: string | undefined;
  readonly #ca: string | undefined;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  #pool: Pool | undefined;
  #closed = false;
  /** Connections whose session is set up (strict mode, lock wait timeout). */
  readonly #prepared = new WeakSet<object>();

  constructor(options: MysqlStoreOptions) {
    this.#url = parseMysqlUrl(options.url);
    this.description = this.#url.description;
    this.#password = options.password ?? this.#url.password;
    this.#ca = options.ca;
    this.readOnly = options.readOnly === true;
    this.#timeoutMs = options.queryTimeoutMs ?? 5_000;
    this.#log = options.log;
  }

  async open(): Promise<void> {
    if (this.#closed) throw this.#notOpen();
    this.#pool ??= createPool(this.#poolOptions());
    const lockTimeoutS = Math.max(1, Math.ceil(this.#timeoutMs / 1_000));
    const timeoutMs = this.#timeoutMs * (this.readOnly ? 1 : migrationStatements);
    const before = await this.run(
      'open',
      (conn) => (this.readOnly ? checkSchema(conn, this.description) : migrateSchema(conn, this.description, this.#url.database, lockTimeoutS)),
      timeoutMs,
    );
    if (before !== mysqlSchemaVersion) this.#log.info({ store: this.description, from: before, to: mysqlSchemaVersion }, 'state store schema migrated');
    this.#log.debug({ store: this.description, readOnly: this.readOnly }, 'state store opened');
  }

  #poolOptions(): PoolOptions {
    return {
      host: this.#url.host,
      port: this.#url.port,
      user: this.#url.user,
      password: this.#password,
      database: this.#url.database,
      ...(this.#ca === undefined ? {} : { ssl: { ca: this.#ca, rejectUnauthorized: true } }),
      charset: 'utf8mb4_unicode_ci', // mysql2's default, spelled out: records and names are utf8mb4
      connectionLimit: poolSize,
      maxIdle: poolSize,
      idleTimeout: 60_000,
      connectTimeout: this.#timeoutMs,
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
      supportBigNumbers: true,
      dateStrings: true,
      multipleStatements: false,
    };
  }

  environment(name: string, _stateDir: string): EnvironmentState {
    return new MysqlEnvironmentState(this, name);
  }

  async heartbeat(member: string, ttlMs: number): Promise<string[]> {
    this.assertWritable('heartbeat');
    return this.run('heartbeat', async (conn) => {
      await conn.query('INSERT INTO rr_members (member, expires_at) VALUES (?, DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND)) ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)', [
        member,
        Math.round(ttlMs * 1_000),
      ]);
      // members that left without `leave` (killed): kept a day for the curious, then dropped
      await conn.query('DELETE FROM rr_members WHERE expires_at < DATE_SUB(UTC_TIMESTAMP(6), INTERVAL 1 DAY)');
      const [rows] = await conn.query<RowDataPacket[]>('SELECT member FROM rr_members WHERE expires_at > UTC_TIMESTAMP(6)');
      return rows.map((row) => text(row['member'])).sort();
    });
  }

  async leave(member: string): Promise<void> {
    this.assertWritable('leave');
    await this.run('leave', (conn) => conn.query('DELETE FROM rr_members WHERE member = ?', [member]));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch((e: unknown) => this.#log.debug({ store: this.description, err: e }, 'state store close failed'));
  }

  assertWritable(what: string): void {
    if (this.readOnly) throw new StateStoreError('ERR_STATE_STORE_DENIED', `${this.description}: ${what} refused: the store was opened read-only`);
  }

  #notOpen(): StateStoreError {
    return new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${this.description}: the store is ${this.#closed ? 'closed' : 'not open'}`, { retryable: false });
  }

  /**
   * Runs `work` on a pooled connection under the deadline (see the file doc); retries it on a deadlock.
   * Throws StateStoreError only.
   */
  async run<T>(what: string, work: (conn: PoolConnection) => Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    const pool = this.#pool;
    if (pool === undefined) throw this.#notOpen();
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#attempt(pool, what, work, Math.max(1, deadline - Date.now()));
      } catch (e: unknown) {
        const errno = errnoOf(e);
        const again = errno !== undefined && retriedErrnos.has(errno) && attempt < attemptsPerOperation && Date.now() < deadline;
        if (!again) throw toStateStoreError(e, this.description, what, this.#password);
        this.#log.debug({ store: this.description, what, errno, attempt }, 'state store operation retried');
        // a little jitter, so the transactions that deadlocked do not meet again in the same order
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  async #attempt<T>(pool: Pool, what: string, work: (conn: PoolConnection) => Promise<T>, timeoutMs: number): Promise<T> {
    let conn: PoolConnection | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        conn?.destroy(); // a hung query: the server rolls its transaction back once the socket is gone
        reject(new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${this.description}: ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const attempt = async (): Promise<T> => {
      const taken = await pool.getConnection();
      conn = taken;
      if (timedOut) {
        taken.destroy();
        throw new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${this.description}: ${what} timed out`);
      }
      try {
        await this.#prepare(taken);
        return await work(taken);
      } finally {
        if (!timedOut) taken.release();
      }
    };
    try {
      return await Promise.race([attempt(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Once per connection: strict mode (an over-long key fails instead of being cut), a server-side lock wait bound. */
  async #prepare(conn: PoolConnection): Promise<void> {
    if (this.#prepared.has(conn.connection)) return;
    const lockWaitS = Math.max(1, Math.ceil(this.#timeoutMs / 1_000));
    await conn.query(`SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', innodb_lock_wait_timeout = ${lockWaitS}`);
    this.#prepared.add(conn.connection);
  }
}
