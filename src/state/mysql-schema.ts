/**
 * The mysql store's tables and their versions (docs/state-store.md). `rr_schema` holds one row, the
 * version; each migration moves it up by one. Migrations run under a named lock (GET_LOCK), so two
 * replicas opening at once migrate once: DDL commits implicitly, so a row lock could not span it.
 *
 * Names and keys are VARBINARY: compared byte for byte, so instance keys stay case-sensitive ('Web' and
 * 'web' are two records) and trailing spaces count (the `_bin` collations of MySQL 5.7 and MariaDB pad
 * spaces). Each indexed column fits the 767-byte limit of InnoDB's COMPACT rows (MySQL 5.7 servers
 * upgraded from 5.6 still have them), and every primary key fits 3072 bytes.
 */
import { createHash } from 'node:crypto';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { errnoOf } from './mysql-errors.js';
import { StateStoreError } from './state-store.js';

/** The version this build writes and reads. */
export const mysqlSchemaVersion = 1;

const table = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

/** `migrations[n]` takes the schema from version n to n + 1. Each statement is safe to run twice. */
const migrations: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS rr_schema (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, version INT UNSIGNED NOT NULL) ${table}`,
    `CREATE TABLE IF NOT EXISTS rr_records (
      environment VARBINARY(255) NOT NULL,
      record_key VARBINARY(767) NOT NULL,
      body MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      updated_at DATETIME(6) NOT NULL,
      PRIMARY KEY (environment, record_key)
    ) ${table}`,
    // lease rows are never deleted: the epoch, the fencing token, must never go back
    `CREATE TABLE IF NOT EXISTS rr_leases (
      environment VARBINARY(255) NOT NULL PRIMARY KEY,
      holder VARBINARY(255) NOT NULL,
      epoch BIGINT UNSIGNED NOT NULL,
      expires_at DATETIME(6) NOT NULL
    ) ${table}`,
    `CREATE TABLE IF NOT EXISTS rr_members (member VARBINARY(255) NOT NULL PRIMARY KEY, expires_at DATETIME(6) NOT NULL) ${table}`,
  ],
];

/** How many statements a full migration runs (for the caller's deadline). */
export const migrationStatements = migrations.flat().length + 4;

/** The stored version; 0 when the version table or its row is missing. */
export async function readSchemaVersion(conn: PoolConnection): Promise<number> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT version FROM rr_schema WHERE id = 1');
    return rows.length === 0 ? 0 : Number(rows[0]!['version']);
  } catch (e: unknown) {
    if (errnoOf(e) === 1146) return 0; // ER_NO_SUCH_TABLE
    throw e;
  }
}

function tooNew(description: string, found: number): StateStoreError {
  return new StateStoreError(
    'ERR_STATE_STORE_SCHEMA',
    `${description}: schema version ${found} is newer than this build's ${mysqlSchemaVersion}: upgrade rancher-reconciler`,
  );
}

/** Read-only open: the stored version must be this build's. Throws ERR_STATE_STORE_SCHEMA otherwise. */
export async function checkSchema(conn: PoolConnection, description: string): Promise<number> {
  const found = await readSchemaVersion(conn);
  if (found > mysqlSchemaVersion) throw tooNew(description, found);
  if (found === 0) throw new StateStoreError('ERR_STATE_STORE_SCHEMA', `${description}: the state store is not initialised: start a daemon with write access to it first`);
  if (found < mysqlSchemaVersion) {
    throw new StateStoreError('ERR_STATE_STORE_SCHEMA', `${description}: schema version ${found} is older than this build's ${mysqlSchemaVersion}: start a daemon with write access to migrate it first`);
  }
  return found;
}

/**
 * Read-write open: creates or migrates the tables up to {@link mysqlSchemaVersion}. Answers the version
 * found before (equal to the current one when nothing was done). `lockTimeoutS` bounds the wait for
 * another replica's migration.
 */
export async function migrateSchema(conn: PoolConnection, description: string, database: string, lockTimeoutS: number): Promise<number> {
  const before = await readSchemaVersion(conn);
  if (before > mysqlSchemaVersion) throw tooNew(description, before);
  if (before === mysqlSchemaVersion) return before;
  // GET_LOCK names are server-wide and at most 64 characters: one per database
  const lock = `rr_schema_${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
  const [locked] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lock, lockTimeoutS]);
  if (Number(locked[0]?.['got']) !== 1) {
    throw new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${description}: another replica's schema migration did not finish within ${lockTimeoutS} s`);
  }
  try {
    const found = await readSchemaVersion(conn); // another replica may have migrated meanwhile
    if (found > mysqlSchemaVersion) throw tooNew(description, found);
    for (let version = found; version < mysqlSchemaVersion; version += 1) {
      for (const statement of migrations[version]!) await conn.query(statement);
      await conn.query('INSERT INTO rr_schema (id, version) VALUES (1, ?) ON DUPLICATE KEY UPDATE version = ?', [version + 1, version + 1]);
    }
    return found;
  } finally {
    // a lost connection releases the lock by itself: never hide the migration's own error behind this one
    await conn.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
  }
}
