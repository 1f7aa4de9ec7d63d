/**
 * The inventory: which Rancher container each manifest key owns, and the last restart token applied.
 * A small versioned JSON file in the state directory, replaced atomically (temp file in the same folder,
 * fsync, rename over, fsync the folder), so a crash at any moment leaves the old file or the new one.
 * Losing it is safe (README.md, "Safety rules"): instances are re-adopted by name and nothing unknown is
 * pruned. One process writes it at a time (the state lock, ./state-lock.ts); `plan` loads it read-only.
 * The format is ./inventory-file.ts. With a shared state store (replicas) the records live there
 * instead, and the leader's lease is the one-writer rule (`store` below).
 */
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError, ReconcilerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';
import { tempMarker, writeFileAtomic } from './atomic-file.js';
import { inventoryFileName, readInventoryFile } from './inventory-file.js';
import { InventorySerializer } from './inventory-serializer.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type RecordChanges } from '../state/state-store.js';

/** Delays between retries of a failed write: 1 s doubling to 30 s, no jitter (one writer: nothing to spread). */
export const inventoryRetryBackoff: BackoffOptions = Object.freeze({ baseMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0 });

export type InventoryDeps = Readonly<{
  /** The state directory; created when missing (except by a read-only load). */
  stateDir: string;
  /** Drives the retry timer of failed writes. */
  clock: Clock;
  log: Logger;
  /** Default `inventory.json`. */
  fileName?: string;
  /**
   * A shared state store (mysql, etcd: state/state-store.ts) instead of the file: records are read from
   * it and each batch of changes is written to it as one transaction, carrying `fence()` (the leader's
   * lease). When `fence` answers undefined (this replica does not lead), writes fail with
   * ERR_STATE_FENCED and are retried, until a takeover's `load()` replaces memory from the store.
   */
  store?: Readonly<{ state: EnvironmentState; description: string; fence?: () => LeaseHolder | undefined }>;
}>;

/**
 * How to load. `readOnly` (for `plan`, which may run beside a daemon): no mkdir, no temp-file removal,
 * no quarantine (a corrupt file throws whatever `onCorrupt` says), a missing state dir is an empty
 * inventory, and every later write attempt throws ERR_INTERNAL.
 */
export type InventoryLoadOptions = Readonly<{ onCorrupt?: 'quarantine' | 'throw'; readOnly?: boolean }>;

/** What `load` found. `quarantined` is the path a corrupt file was moved to. */
export type InventoryLoadResult = Readonly<{ entries: number; quarantined?: string }>;

/**
 * The in-memory inventory with a coalescing, serialised writer. `set`/`delete` change memory at once and
 * schedule a write (rapid changes in one tick share a write; at most one write runs at a time); use
 * `setAndFlush` when the record must be on disk before continuing (right after a create).
 *
 * A failed write leaves the changes in memory and is retried on the clock by itself
 * ({@link inventoryRetryBackoff}: 1 s doubling to 30 s) until a write succeeds; the first failure of a
 * streak is logged at error (`inventory write failed`), the recovery at info (`inventory write
 * recovered`). `stop()` ends the retries.
 */
export class Inventory {
  readonly #path: string;
  readonly #store: InventoryDeps['store'];
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #entries = new Map<InstanceKey, InventoryEntry>();
  /** Keeps the unchanged entries' text between writes (inventory-serializer.ts). */
  readonly #serializer = new InventorySerializer();
  /** Rancher id -> the key that owns it, kept with #entries. */
  readonly #owners = new Map<string, InstanceKey>();
  readonly #recreating = new Set<InstanceKey>();
  /** Keys put or removed since the last successful store write (store mode writes only these). */
  readonly #changed = new Set<InstanceKey>();
  #dirty = false;
  #writer: Promise<void> | undefined;
  #writes = 0;
  #readOnly = false;
  /** Failed writes since the last successful one (0: the file is current or being written). */
  #failures = 0;
  #retry: TimerHandle | undefined;
  #stopped = false;

  constructor(deps: InventoryDeps) {
    this.#path = join(deps.stateDir, deps.fileName ?? inventoryFileName);
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  /** The inventory file's path, or the state store's description in store mode. */
  get path(): string {
    return this.#store?.description ?? this.#path;
  }

  /**
   * Reads the file into memory (replacing what is there) and removes temp files left by a crash.
   * Missing file: empty. Corrupt file: with `onCorrupt: 'quarantine'` (default) it is renamed to
   * `<file>.corrupt-<timestamp>`, logged, and the inventory starts empty (safe: re-adoption by name);
   * with `'throw'`, or `readOnly`, the ERR_INVENTORY_CORRUPT error is thrown and nothing is moved.
   * I/O errors throw ERR_INVENTORY_IO. See {@link InventoryLoadOptions} for `readOnly`.
   */
  async load(options: InventoryLoadOptions = {}): Promise<InventoryLoadResult> {
    this.#readOnly = options.readOnly === true;
    if (this.#store !== undefined) return this.#loadFromStore(this.#store.state);
    if (!this.#readOnly) {
      const dir = dirname(this.#path);
      try {
        await mkdir(dir, { recursive: true });
        await this.#removeTempFiles(dir);
      } catch (e: unknown) {
        throw new ReconcilerError('ERR_INVENTORY_IO', `prepare state dir ${dir} failed`, { cause: e, retryable: true });
      }
    }
    this.#clearMemory();
    try {
      // a missing state dir reads as ENOENT too: an empty inventory, which is what a read-only load wants
      const loaded = await readInventoryFile(this.#path);
      for (const entry of loaded?.values() ?? []) this.#put(entry);
      return { entries: this.#entries.size };
    } catch (e: unknown) {
      const error = coerceError(e);
      const quarantine = options.onCorrupt !== 'throw' && !this.#readOnly;
      if (!(error instanceof ReconcilerError) || error.code !== 'ERR_INVENTORY_CORRUPT' || !quarantine) throw error;
      const quarantined = `${this.#path}.corrupt-${new Date(this.#clock.now()).toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(this.#path, quarantined);
      } catch (renameError: unknown) {
        throw new ReconcilerError('ERR_INVENTORY_IO', `move corrupt inventory ${this.#path} aside failed`, { cause: renameError, retryable: true });
      }
      this.#log.warn({ file: this.#path, quarantined, err: error }, 'inventory corrupt, moved aside');
      return { entries: 0, quarantined };
    }
  }

  /**
   * Store mode: memory becomes what the store holds (a new leader reads what the last one wrote).
   * Waits for a write in flight, then drops what was not written (it was refused: this replica did not
   * lead) and any pending retry.
   */
  async #loadFromStore(state: EnvironmentState): Promise<InventoryLoadResult> {
    await this.#writer?.catch(() => undefined);
    const loaded = await state.loadRecords();
    this.#clearMemory();
    for (const entry of loaded.values()) this.#put(entry);
    this.#changed.clear();
    this.#dirty = false;
    this.#failures = 0;
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    return { entries: this.#entries.size };
  }

  #clearMemory(): void {
    this.#entries.clear();
    this.#serializer.keysChanged();
    this.#owners.clear();
    this.#recreating.clear();
  }

  get(key: InstanceKey): InventoryEntry | undefined {
    return this.#entries.get(key);
  }

  /** Every entry, in insertion order (a snapshot). */
  entries(): InventoryEntry[] {
    return [...this.#entries.values()];
  }

  /** The key that owns the Rancher container `id`, if any. */
  ownerOf(id: string): InstanceKey | undefined {
    return this.#owners.get(id);
  }

  /** Keys whose entry holds a recreate slot (`recreating`), kept with #entries. */
  recreatingKeys(): InstanceKey[] {
    return [...this.#recreating];
  }

  #put(entry: InventoryEntry): void {
    const previous = this.#entries.get(entry.key);
    if (previous !== undefined && this.#owners.get(previous.id) === entry.key) this.#owners.delete(previous.id);
    if (previous === undefined) this.#serializer.keysChanged();
    this.#changed.add(entry.key);
    this.#entries.set(entry.key, entry);
    this.#owners.set(entry.id, entry.key);
    if (entry.recreating === true) this.#recreating.add(entry.key);
    else this.#recreating.delete(entry.key);
  }

  #remove(key: InstanceKey): boolean {
    const previous = this.#entries.get(key);
    if (previous === undefined) return false;
    if (this.#owners.get(previous.id) === key) this.#owners.delete(previous.id);
    this.#recreating.delete(key);
    this.#serializer.keysChanged();
    this.#changed.add(key);
    return this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Completed file writes since construction (for tests and metrics). */
  get writes(): number {
    return this.#writes;
  }

  /**
   * Records `entry` under `entry.key` and schedules a write; a failed write is retried by itself (see the
   * class doc). Throws ERR_INTERNAL on a read-only inventory.
   */
  set(entry: InventoryEntry): void {
    this.#assertWritable();
    this.#put(entry);
    void this.#kick();
  }

  /** Forgets `key` (no-op when unknown) and schedules a write. Throws ERR_INTERNAL on a read-only inventory. */
  delete(key: InstanceKey): void {
    this.#assertWritable();
    if (this.#remove(key)) void this.#kick();
  }

  /** `set`, then resolves once the entry is durably on disk. Throws ERR_INVENTORY_IO (ERR_INTERNAL when read-only). */
  async setAndFlush(entry: InventoryEntry): Promise<void> {
    this.#assertWritable();
    this.#put(entry);
    await this.#kick();
  }

  /** Resolves when every change made so far is on disk. Throws ERR_INVENTORY_IO when the write fails. */
  flush(): Promise<void> {
    if (this.#writer !== undefined) return this.#writer;
    return this.#dirty ? this.#kick() : Promise.resolve();
  }

  /** Cancels a pending retry and schedules none after this (writes still run; failures are only logged). Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  #assertWritable(): void {
    // plan loads read-only beside a possibly running daemon: a write from it would race the daemon's
    if (this.#readOnly) throw new ReconcilerError('ERR_INTERNAL', `inventory ${this.#path} was loaded read-only: writing it is a bug`);
  }

  #kick(): Promise<void> {
    this.#dirty = true;
    if (this.#writer === undefined) {
      const writer = this.#drain();
      this.#writer = writer;
      // One handler per writer, so a background write that nobody awaits is never an unhandled rejection;
      // callers of flush()/setAndFlush() see the error themselves as well.
      void writer.then(
        () => this.#succeeded(),
        (e: unknown) => this.#failed(coerceError(e)),
      );
    }
    return this.#writer;
  }

  #succeeded(): void {
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#failures === 0) return;
    this.#log.info({ file: this.#path, attempt: this.#failures }, 'inventory write recovered');
    this.#failures = 0;
  }

  #failed(error: Error): void {
    this.#failures += 1;
    const retryInMs = this.#stopped ? undefined : backoffDelay(this.#failures - 1, inventoryRetryBackoff);
    const fields = { file: this.#path, err: error, attempt: this.#failures, ...(retryInMs === undefined ? {} : { retryInMs }) };
    if (this.#failures === 1) this.#log.error(fields, 'inventory write failed');
    else this.#log.debug(fields, 'inventory write retry failed');
    if (retryInMs === undefined) return;
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    // a background timer (no keepAlive): a pending retry never holds the process open on its own
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = undefined;
      void this.#kick();
    }, retryInMs);
  }

  async #drain(): Promise<void> {
    try {
      // Let changes made in the same tick join this write.
      await Promise.resolve();
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await this.#persist();
          this.#writes++;
        } catch (e: unknown) {
          this.#dirty = true; // kept for the retry timer and the next flush
          if (e instanceof StateStoreError) throw e;
          throw new ReconcilerError('ERR_INVENTORY_IO', `write inventory ${this.#path} failed`, { cause: e, retryable: true });
        }
      }
    } finally {
      // Synchronous with the last `#dirty` check: a change after this starts a new writer.
      this.#writer = undefined;
    }
  }

  /** One write: the whole file, or the changed records to the store (put back when the store refuses them). */
  async #persist(): Promise<void> {
    const store = this.#store;
    if (store === undefined) {
      this.#changed.clear();
      await mkdir(dirname(this.#path), { recursive: true });
      await writeFileAtomic(this.#path, this.#serializer.serialize(this.#entries));
      return;
    }
    const keys = [...this.#changed];
    this.#changed.clear();
    const changes: RecordChanges = { put: keys.flatMap((key) => this.#entries.get(key) ?? []), delete: keys.filter((key) => !this.#entries.has(key)) };
    try {
      const fence = store.fence?.();
      if (store.fence !== undefined && fence === undefined) throw new StateStoreError('ERR_STATE_FENCED', `not writing to ${store.description}: this replica does not lead the environment`);
      await store.state.writeRecords(changes, fence);
    } catch (e: unknown) {
      for (const key of keys) this.#changed.add(key);
      throw e;
    }
  }

  async #removeTempFiles(dir: string): Promise<void> {
    const prefix = `${basename(this.#path)}${tempMarker}`;
    for (const name of await readdir(dir)) {
      if (name.startsWith(prefix)) await unlink(join(dir, name));
    }
  }
}
