/**
 * The state store: where an environment's ownership records (the inventory entries: which Rancher
 * container each manifest key owns, the restart tokens applied) and its leader lease live, so that a
 * record written by one replica is what the next leader reads. Three backends (docs/state-store.md):
 *
 * - `file` (the default): `<state dir>/inventory.json` per environment, as before; no election (one
 *   process per state dir, held by the state lock, controller/state-lock.ts).
 * - `mysql` (MySQL 5.7+, MariaDB 10.3+): tables created or migrated on open, versioned; the lease is a row
 *   renewed by compare-and-set on the database's clock, its epoch the fencing token.
 * - `etcd` (v3): records under a key prefix; the lease is etcd's election (a key bound to an etcd lease).
 *
 * Every method throws {@link StateStoreError} only; `retryable` says whether trying again may help.
 */
import { ReconcilerError } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';

export type StateStoreKind = 'file' | 'mysql' | 'etcd';

/**
 * Who holds a lease and since which change of holder. `epoch` grows by at least one at every change of
 * holder (never goes back, also across restarts of the store): the fencing token that writes carry.
 */
export type LeaseHolder = Readonly<{ holder: string; epoch: number }>;

/** What one {@link EnvironmentState.tryAcquireOrRenew} found. */
export type LeaseState = Readonly<{
  /** Whether the caller holds the lease after this attempt. */
  held: boolean;
  /** The holder now (the caller when `held`); undefined when nobody holds it or it has expired. */
  current: LeaseHolder | undefined;
}>;

/**
 * One write: entries to put (whole records, replacing any of the same key) and keys to delete; a key is
 * in one of the two at most (the inventory writes each changed key once, as it stands).
 */
export type RecordChanges = Readonly<{ put: readonly InventoryEntry[]; delete: readonly InstanceKey[] }>;

/** One environment's part of the store. */
export interface EnvironmentState {
  /** Every record of the environment (empty when it has none). */
  loadRecords(): Promise<Map<InstanceKey, InventoryEntry>>;
  /**
   * Applies `changes`, each record whole: all or nothing on file and MySQL; etcd applies a large change
   * in transactions of at most its per-transaction limit (128 operations by default), each fenced, so a
   * failure midway can leave the first ones written (harmless for the inventory, which writes every
   * changed record again). With `fence`, only while `fence` is the environment's
   * current lease (same holder and epoch, not expired), checked inside the same transaction; otherwise
   * it throws ERR_STATE_FENCED and changes nothing. Without `fence` (the file backend, which does not
   * elect) it writes unconditionally.
   */
  writeRecords(changes: RecordChanges, fence: LeaseHolder | undefined): Promise<void>;
  /**
   * Takes the lease for `holder` when nobody holds it or it expired (a new epoch), or renews it when
   * `holder` holds it (same epoch), for `leaseMs` counted on the store's clock; otherwise changes
   * nothing and reports the current holder. One compare-and-set: two callers never both get `held`.
   */
  tryAcquireOrRenew(holder: string, leaseMs: number): Promise<LeaseState>;
  /** Ends the lease at once when `fence` still holds it (a clean stop hands over without waiting); else a no-op. */
  releaseLease(fence: LeaseHolder): Promise<void>;
  /** The current holder (undefined when nobody holds it or it expired), without changing anything. */
  readLease(): Promise<LeaseHolder | undefined>;
}

export interface StateStore {
  readonly kind: StateStoreKind;
  /** Whether the backend elects leaders (mysql, etcd); `file` relies on the state lock instead. */
  readonly elects: boolean;
  /** Where it is, printable: the URL without credentials. */
  readonly description: string;
  /**
   * Connects. Unless opened read-only, creates the tables (or key layout) when missing and migrates an
   * older schema version; read-only, it only checks that the version is one it can read.
   */
  open(): Promise<void>;
  /** One environment's records and lease. `stateDir` is the environment's state folder (the file backend keeps its records there). */
  environment(name: string, stateDir: string): EnvironmentState;
  /**
   * Records `member` as alive for `ttlMs` and answers the live members, sorted (the replicas among
   * which environments are spread). The file backend answers `[member]`.
   */
  heartbeat(member: string, ttlMs: number): Promise<string[]>;
  /** Removes `member` at a clean stop. */
  leave(member: string): Promise<void>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}

export type StateStoreErrorCode = 'ERR_STATE_STORE_UNAVAILABLE' | 'ERR_STATE_STORE_DENIED' | 'ERR_STATE_STORE_SCHEMA' | 'ERR_STATE_STORE_CORRUPT' | 'ERR_STATE_FENCED';

/**
 * A state store failure. UNAVAILABLE (cannot connect, timeout, lost connection; retryable), DENIED
 * (credentials refused, or a write with read-only credentials), SCHEMA (a newer schema version than this
 * build reads), CORRUPT (a record that does not parse), FENCED (a write whose lease is no longer current).
 * Messages name the store by its description, never with credentials.
 */
export class StateStoreError extends ReconcilerError {
  override name = 'StateStoreError';
  override readonly code: StateStoreErrorCode;

  constructor(code: StateStoreErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(code, message, { retryable: options.retryable ?? code === 'ERR_STATE_STORE_UNAVAILABLE', cause: options.cause });
    this.code = code;
  }
}
