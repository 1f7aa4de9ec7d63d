/**
 * One environment's part of the mysql store: its rows in `rr_records` and its lease row in `rr_leases`
 * (./mysql-schema.ts). The lease is a compare-and-set in one transaction (the row locked FOR UPDATE, then
 * taken, renewed or left alone); a fenced write locks the same row in share mode and checks it first,
 * so a takeover waits for a write in flight and no write lands after the lease moved.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';
import { isEntry } from '../controller/inventory-file.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type LeaseState, type RecordChanges } from './state-store.js';

/** What an environment needs of its store (mysql-store.ts). */
export interface MysqlRunner {
  readonly description: string;
  /** Runs `work` on a connection under the store's deadline; throws StateStoreError only. */
  run<T>(what: string, work: (conn: PoolConnection) => Promise<T>): Promise<T>;
  /** Throws ERR_STATE_STORE_DENIED when the store was opened read-only. */
  assertWritable(what: string): void;
}

/**
 * Rows per statement: 500 records of ~300 bytes stay far below max_allowed_packet (4 MiB on MySQL 5.7),
 * and a big first write is a few statements, not thousands. A statement is also cut at ~1 MiB of bodies.
 */
const rowsPerStatement = 500;
const bytesPerStatement = 1 << 20;

/** A VARBINARY column's value as text (mysql2 answers binary columns as Buffers). */
export function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function micros(ms: number): number {
  return Math.max(0, Math.round(ms * 1_000));
}

/** Runs `work` between START TRANSACTION and COMMIT; rolls back on any error (a connection that cannot is destroyed). */
async function inTransaction<T>(conn: PoolConnection, work: () => Promise<T>): Promise<T> {
  await conn.query('START TRANSACTION');
  try {
    const result = await work();
    await conn.query('COMMIT');
    return result;
  } catch (e: unknown) {
    await conn.query('ROLLBACK').catch(() => conn.destroy());
    throw e;
  }
}

type LeaseRow = Readonly<{ holder: string; epoch: number; live: boolean }>;

async function lockLease(conn: PoolConnection, environment: string, mode: 'FOR UPDATE' | 'LOCK IN SHARE MODE'): Promise<LeaseRow | undefined> {
  // LOCK IN SHARE MODE, not FOR SHARE: MySQL 5.7 and MariaDB know only the former
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT holder, epoch, expires_at > UTC_TIMESTAMP(6) AS live FROM rr_leases WHERE environment = ? ${mode}`, [environment]);
  const row = rows[0];
  return row === undefined ? undefined : { holder: text(row['holder']), epoch: Number(row['epoch']), live: Number(row['live']) === 1 };
}

/** Splits `items` into statements of at most {@link rowsPerStatement} rows and about {@link bytesPerStatement}. */
function chunks<T>(items: readonly T[], size: (item: T) => number): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= rowsPerStatement || bytes + size(item) > bytesPerStatement)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size(item);
  }
  if (current.length > 0) result.push(current);
  return result;
}

export class MysqlEnvironmentState implements EnvironmentState {
  readonly #store: MysqlRunner;
  readonly #name: string;

  constructor(store: MysqlRunner, name: string) {
    this.#store = store;
    this.#name = name;
  }

  async loadRecords(): Promise<Map<InstanceKey, InventoryEntry>> {
    const rows = await this.#store.run('load records', async (conn) => {
      const [found] = await conn.query<RowDataPacket[]>('SELECT record_key, body FROM rr_records WHERE environment = ?', [this.#name]);
      return found;
    });
    const records = new Map<InstanceKey, InventoryEntry>();
    for (const row of rows) {
      const key = text(row['record_key']);
      records.set(key, this.#parse(key, String(row['body'])));
    }
    return records;
  }

  #parse(key: InstanceKey, body: string): InventoryEntry {
    const corrupt = (why: string, cause?: unknown): StateStoreError =>
      new StateStoreError('ERR_STATE_STORE_CORRUPT', `${this.#store.description}: record "${key}" of environment "${this.#name}" is corrupt: ${why}`, { cause });
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (e: unknown) {
      throw corrupt('not valid JSON', e);
    }
    if (!isEntry(key, value)) throw corrupt('wrong shape');
    return value;
  }

  /** Deletes first, then puts (a key in both ends up put); later puts of one key win. */
  async writeRecords(changes: RecordChanges, fence: LeaseHolder | undefined): Promise<void> {
    this.#store.assertWritable('write records');
    if (changes.put.length === 0 && changes.delete.length === 0) return;
    const bodies = changes.put.map((entry) => ({ key: entry.key, body: JSON.stringify(entry) }));
    await this.#store.run('write records', (conn) =>
      inTransaction(conn, async () => {
        if (fence !== undefined) await this.#checkFence(conn, fence);
        for (const keys of chunks(changes.delete, (key) => key.length)) {
          await conn.query(`DELETE FROM rr_records WHERE environment = ? AND record_key IN (${keys.map(() => '?').join(', ')})`, [this.#name, ...keys]);
        }
        for (const rows of chunks(bodies, (row) => row.body.length + row.key.length)) {
          await conn.query(
            `INSERT INTO rr_records (environment, record_key, body, updated_at) VALUES ${rows.map(() => '(?, ?, ?, UTC_TIMESTAMP(6))').join(', ')}
             ON DUPLICATE KEY UPDATE body = VALUES(body), updated_at = VALUES(updated_at)`,
            rows.flatMap((row) => [this.#name, row.key, row.body]),
          );
        }
      }),
    );
  }

  async #checkFence(conn: PoolConnection, fence: LeaseHolder): Promise<void> {
    const lease = await lockLease(conn, this.#name, 'LOCK IN SHARE MODE');
    if (lease !== undefined && lease.live && lease.holder === fence.holder && lease.epoch === fence.epoch) return;
    const now = lease === undefined ? 'nobody ever held it' : `${lease.live ? 'it is held by' : 'it expired, last held by'} ${lease.holder} epoch ${lease.epoch}`;
    throw new StateStoreError('ERR_STATE_FENCED', `${this.#store.description}: write to environment "${this.#name}" fenced: the lease of ${fence.holder} epoch ${fence.epoch} is not current (${now})`);
  }

  async tryAcquireOrRenew(holder: string, leaseMs: number): Promise<LeaseState> {
    this.#store.assertWritable('take the lease');
    return this.#store.run('take the lease', (conn) =>
      inTransaction(conn, async (): Promise<LeaseState> => {
        const lease = await lockLease(conn, this.#name, 'FOR UPDATE');
        const until = 'DATE_ADD(UTC_TIMESTAMP(6), INTERVAL ? MICROSECOND)';
        if (lease === undefined) {
          // two replicas inserting at once: one gets ER_DUP_ENTRY or a deadlock, and its retry finds the row
          await conn.query(`INSERT INTO rr_leases (environment, holder, epoch, expires_at) VALUES (?, ?, 1, ${until})`, [this.#name, holder, micros(leaseMs)]);
          return { held: true, current: { holder, epoch: 1 } };
        }
        if (lease.live && lease.holder !== holder) return { held: false, current: { holder: lease.holder, epoch: lease.epoch } };
        if (lease.live) {
          await conn.query(`UPDATE rr_leases SET expires_at = ${until} WHERE environment = ?`, [micros(leaseMs), this.#name]);
          return { held: true, current: { holder, epoch: lease.epoch } };
        }
        await conn.query(`UPDATE rr_leases SET holder = ?, epoch = epoch + 1, expires_at = ${until} WHERE environment = ?`, [holder, micros(leaseMs), this.#name]);
        return { held: true, current: { holder, epoch: lease.epoch + 1 } };
      }),
    );
  }

  async releaseLease(fence: LeaseHolder): Promise<void> {
    this.#store.assertWritable('release the lease');
    // expired, never deleted: the row keeps the epoch, so the next holder's is higher
    await this.#store.run('release the lease', (conn) =>
      conn.query('UPDATE rr_leases SET expires_at = DATE_SUB(UTC_TIMESTAMP(6), INTERVAL 1 MICROSECOND) WHERE environment = ? AND holder = ? AND epoch = ? AND expires_at > UTC_TIMESTAMP(6)', [
        this.#name,
        fence.holder,
        fence.epoch,
      ]),
    );
  }

  async readLease(): Promise<LeaseHolder | undefined> {
    return this.#store.run('read the lease', async (conn) => {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT holder, epoch FROM rr_leases WHERE environment = ? AND expires_at > UTC_TIMESTAMP(6)', [this.#name]);
      const row = rows[0];
      return row === undefined ? undefined : { holder: text(row['holder']), epoch: Number(row['epoch']) };
    });
  }
}
