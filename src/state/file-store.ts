/**
 * The `file` state store (the default): each environment's records are its `inventory.json` in its
 * state folder, in the inventory file's format (controller/inventory-file.ts), replaced atomically. It does not
 * elect: one process per state folder, held by the state lock (controller/state-lock.ts), is the only
 * writer, so its leases are refused as a programming error. The daemon's inventory reads and writes the
 * file itself (with quarantine of a corrupt file); this store is the same file behind the StateStore
 * interface, for the contract tests and for tools that read any backend alike.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReconcilerError } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';
import { writeFileAtomic } from '../controller/atomic-file.js';
import { inventoryFileName, readInventoryFile } from '../controller/inventory-file.js';
import { InventorySerializer } from '../controller/inventory-serializer.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type LeaseState, type RecordChanges, type StateStore } from './state-store.js';

function noElection(): Promise<never> {
  return Promise.reject(new ReconcilerError('ERR_INTERNAL', 'the file state store does not elect leaders (one process per state dir holds its lock)'));
}

class FileEnvironmentState implements EnvironmentState {
  readonly #dir: string;
  readonly #path: string;
  readonly #readOnly: boolean;
  readonly #serializer = new InventorySerializer();

  constructor(dir: string, readOnly: boolean) {
    this.#dir = dir;
    this.#path = join(dir, inventoryFileName);
    this.#readOnly = readOnly;
  }

  async loadRecords(): Promise<Map<InstanceKey, InventoryEntry>> {
    try {
      return (await readInventoryFile(this.#path)) ?? new Map();
    } catch (e: unknown) {
      const corrupt = e instanceof ReconcilerError && e.code === 'ERR_INVENTORY_CORRUPT';
      throw new StateStoreError(corrupt ? 'ERR_STATE_STORE_CORRUPT' : 'ERR_STATE_STORE_UNAVAILABLE', e instanceof Error ? e.message : String(e), { cause: e });
    }
  }

  /** Read, change, replace: one process writes a state folder (the state lock), so this needs no lock of its own. */
  async writeRecords(changes: RecordChanges): Promise<void> {
    if (this.#readOnly) throw new StateStoreError('ERR_STATE_STORE_DENIED', `state store file ${this.#path} was opened read-only`);
    const entries = await this.loadRecords();
    for (const key of changes.delete) entries.delete(key);
    for (const entry of changes.put) entries.set(entry.key, entry);
    this.#serializer.keysChanged();
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeFileAtomic(this.#path, this.#serializer.serialize(entries));
    } catch (e: unknown) {
      throw new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `write ${this.#path} failed`, { cause: e });
    }
  }

  tryAcquireOrRenew(): Promise<LeaseState> {
    return noElection();
  }

  releaseLease(_fence: LeaseHolder): Promise<void> {
    return noElection();
  }

  readLease(): Promise<LeaseHolder | undefined> {
    return Promise.resolve(undefined);
  }
}

/** The file store; `readOnly` refuses writes (ERR_STATE_STORE_DENIED), as a read-only database user would. */
export function createFileStore(options: Readonly<{ readOnly?: boolean }> = {}): StateStore {
  const readOnly = options.readOnly === true;
  return {
    kind: 'file',
    elects: false,
    description: 'file',
    open: () => Promise.resolve(),
    environment: (_name, stateDir) => new FileEnvironmentState(stateDir, readOnly),
    heartbeat: (member) => Promise.resolve([member]),
    leave: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
