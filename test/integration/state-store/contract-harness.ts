/**
 * The state store contract's plumbing (./contract.ts): what a backend gives it, the per-suite harness
 * that opens stores and hands out fresh names, and the assertions the tests share.
 */
import { expect, type test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { InstanceKey } from '../../../src/domain/instance.js';
import type { InventoryEntry } from '../../../src/domain/plan.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type StateStore, type StateStoreErrorCode } from '../../../src/state/state-store.js';
import { anInventoryEntry } from '../../helpers/builders.js';

/** What a backend's test file gives the contract. */
export type ContractTarget = Readonly<{
  /** A new, unopened store on the shared data: each call is another replica. The suite opens and closes it. */
  createStore(): StateStore;
  /** A new, unopened store opened read-only (read-only credentials where the backend has them); absent: those tests are skipped. */
  createReadOnlyStore?(): StateStore;
  /** The state folder handed to `environment(name, stateDir)` (the file backend keeps its records there). */
  stateDir(environment: string): string;
  /**
   * Makes the stored schema version newer than this build knows; resolves to a function that puts it
   * back. Absent: the schema test is skipped.
   */
  bumpSchemaVersion?(): Promise<() => Promise<void>>;
  /** The lease used by the expiry tests, in ms (default 1500; etcd's TTLs are whole seconds). */
  shortLeaseMs?: number;
  /** Runs once after the suite (stop the engine, remove temp dirs). */
  cleanup?(): Promise<void>;
}>;

/** How long a test waits for a lease to expire or a member to drop out: generous, for loaded machines. */
export const waitMs = 30_000;
/** A lease no test outlives. */
export const longLeaseMs = 120_000;

export async function storeError(promise: Promise<unknown>): Promise<StateStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StateStoreError)) throw new Error(`expected a StateStoreError, got ${error === undefined ? 'success' : String(error)}`);
  return error;
}

export async function expectCode(promise: Promise<unknown>, code: StateStoreErrorCode): Promise<StateStoreError> {
  const error = await storeError(promise);
  expect(error.code).toBe(code);
  return error;
}

export function entry(key: InstanceKey, overrides: Partial<InventoryEntry> = {}): InventoryEntry {
  return anInventoryEntry({ key, name: key, id: `1i-${key}`, uuid: `uuid-${key}`, ...overrides });
}

export function sorted(records: Map<InstanceKey, InventoryEntry>): InventoryEntry[] {
  return [...records.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The per-suite context: opens stores, hands out fresh names, closes everything after each test. */
export class Harness {
  readonly target: ContractTarget;
  readonly #open: StateStore[] = [];
  readonly #run = randomUUID().slice(0, 8);
  #names = 0;

  constructor(target: ContractTarget) {
    this.target = target;
  }

  /** A fresh name (environment, holder or member) no other test uses. */
  fresh(prefix: string): string {
    this.#names += 1;
    return `${prefix}-${this.#run}-${this.#names}`;
  }

  async open(create: () => StateStore = () => this.target.createStore()): Promise<StateStore> {
    const store = create();
    this.#open.push(store);
    await store.open();
    return store;
  }

  env(store: StateStore, environment: string): EnvironmentState {
    return store.environment(environment, this.target.stateDir(environment));
  }

  /** A fresh environment on a newly opened store. */
  async freshEnv(): Promise<{ store: StateStore; environment: string; state: EnvironmentState }> {
    const store = await this.open();
    const environment = this.fresh('env');
    return { store, environment, state: this.env(store, environment) };
  }

  async closeAll(): Promise<void> {
    const stores = this.#open.splice(0);
    await Promise.all(stores.map((store) => store.close()));
  }
}

export type TestFn = typeof test | typeof test.skip;

/** Takes the lease of a fresh environment for a fresh holder. */
export async function leased(h: Harness, leaseMs = longLeaseMs): Promise<{ store: StateStore; environment: string; state: EnvironmentState; lease: LeaseHolder }> {
  const fresh = await h.freshEnv();
  const attempt = await fresh.state.tryAcquireOrRenew(h.fresh('holder'), leaseMs);
  expect(attempt.held).toBe(true);
  return { ...fresh, lease: attempt.current! };
}
