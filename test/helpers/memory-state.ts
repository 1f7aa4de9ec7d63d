/**
 * An in-memory EnvironmentState (state/state-store.ts) on a test clock, for unit tests of what sits on
 * top of a store (the leader elector): lease semantics as the contract suite states them, plus faults a
 * test turns on (`hang`: calls never answer; `fail`: calls reject as an unreachable store).
 */
import type { Clock } from '../../src/clock.js';
import type { InstanceKey } from '../../src/domain/instance.js';
import type { InventoryEntry } from '../../src/domain/plan.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type LeaseState, type RecordChanges } from '../../src/state/state-store.js';

export class MemoryState implements EnvironmentState {
  readonly records = new Map<InstanceKey, InventoryEntry>();
  lease: (LeaseHolder & { expiresAt: number }) | undefined;
  epoch = 0;
  fault: 'hang' | 'fail' | undefined;
  /** Calls made, by method name. */
  readonly calls: string[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  #enter(method: string): Promise<void> {
    this.calls.push(method);
    if (this.fault === 'hang') return new Promise(() => undefined);
    if (this.fault === 'fail') return Promise.reject(new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', 'memory store: unreachable'));
    return Promise.resolve();
  }

  #current(): LeaseHolder | undefined {
    const lease = this.lease;
    return lease !== undefined && lease.expiresAt > this.#clock.now() ? { holder: lease.holder, epoch: lease.epoch } : undefined;
  }

  async loadRecords(): Promise<Map<InstanceKey, InventoryEntry>> {
    await this.#enter('loadRecords');
    return new Map(this.records);
  }

  async writeRecords(changes: RecordChanges, fence: LeaseHolder | undefined): Promise<void> {
    await this.#enter('writeRecords');
    const current = this.#current();
    if (fence !== undefined && (current?.holder !== fence.holder || current.epoch !== fence.epoch)) throw new StateStoreError('ERR_STATE_FENCED', 'memory store: stale lease');
    for (const key of changes.delete) this.records.delete(key);
    for (const entry of changes.put) this.records.set(entry.key, entry);
  }

  async tryAcquireOrRenew(holder: string, leaseMs: number): Promise<LeaseState> {
    await this.#enter('tryAcquireOrRenew');
    const current = this.#current();
    if (current !== undefined && current.holder !== holder) return { held: false, current };
    const epoch = current === undefined ? ++this.epoch : current.epoch;
    this.lease = { holder, epoch, expiresAt: this.#clock.now() + leaseMs };
    return { held: true, current: { holder, epoch } };
  }

  async releaseLease(fence: LeaseHolder): Promise<void> {
    await this.#enter('releaseLease');
    const current = this.#current();
    if (current?.holder === fence.holder && current.epoch === fence.epoch) this.lease = undefined;
  }

  async readLease(): Promise<LeaseHolder | undefined> {
    await this.#enter('readLease');
    return this.#current();
  }
}
