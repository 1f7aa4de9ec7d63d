/**
 * One environment's part of the etcd state store: its records (one key each, the entry as JSON, under
 * `<prefix>/env/<environment>/records/`) and its election (etcd-election.ts).
 *
 * Big writes: etcd refuses a transaction of more than `--max-txn-ops` operations (default 128). A write
 * within that limit is one transaction: all or nothing, as the interface says. A bigger one is split into
 * transactions of at most `maxTxnOps` operations, each carrying the fence's compares: every record is
 * written whole, and only while the fence leads, but a write stopped midway (FENCED, UNAVAILABLE) leaves
 * its first chunks applied. That is safe for the inventory, the one writer: it keeps the changed keys and
 * writes them all again (puts and deletes are idempotent), and a takeover reloads from the store. Staging
 * the chunks elsewhere and switching over atomically would double every write for a case (over 128
 * changes in one batch) that only a first converge of a large environment meets.
 */
import { isEntry } from '../controller/inventory-file.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';
import type { Logger } from '../logger.js';
import type { IRequestOp } from 'etcd3';
import { StateStoreError, type EnvironmentState, type LeaseHolder, type LeaseState, type RecordChanges } from './state-store.js';
import { rangePrefix, txn, withDeadline, type EtcdCallContext } from './etcd-calls.js';
import { EtcdElection } from './etcd-election.js';
import type { EtcdLayout } from './etcd-layout.js';

export type EtcdEnvironmentDeps = Readonly<{
  context: EtcdCallContext;
  layout: EtcdLayout;
  environment: string;
  readOnly: boolean;
  /** Operations per transaction at most (etcd's `--max-txn-ops`, default 128). */
  maxTxnOps: number;
  log: Logger;
}>;

export class EtcdEnvironmentState implements EnvironmentState {
  readonly #deps: EtcdEnvironmentDeps;
  readonly #election: EtcdElection;

  constructor(deps: EtcdEnvironmentDeps) {
    this.#deps = deps;
    this.#election = new EtcdElection(deps.context, deps.layout, deps.environment, deps.log);
  }

  loadRecords(): Promise<Map<InstanceKey, InventoryEntry>> {
    const { context, layout, environment } = this.#deps;
    return withDeadline(context, `load records of environment ${environment}`, async () => {
      const records = new Map<InstanceKey, InventoryEntry>();
      for (const kv of await rangePrefix(context, layout.recordsPrefix(environment))) {
        const key = layout.recordKeyOf(environment, kv.key);
        records.set(key, this.#parse(key, kv.value));
      }
      return records;
    });
  }

  async writeRecords(changes: RecordChanges, fence: LeaseHolder | undefined): Promise<void> {
    const { context, environment, maxTxnOps } = this.#deps;
    const what = `write records of environment ${environment}`;
    this.#refuseReadOnly(what);
    const ops = this.#ops(changes);
    if (ops.length === 0 && fence === undefined) return;
    const compares = fence === undefined ? [] : await withDeadline(context, what, () => this.#election.fenceCompares(fence));
    if (compares === undefined) throw this.#fenced(fence!);
    // one chunk when the write fits (the usual case); else see the file doc
    for (let start = 0; start === 0 || start < ops.length; start += maxTxnOps) {
      const answer = await withDeadline(context, what, () => txn(context, compares, ops.slice(start, start + maxTxnOps)));
      if (!answer.succeeded) throw this.#fenced(fence!);
    }
  }

  async tryAcquireOrRenew(holder: string, leaseMs: number): Promise<LeaseState> {
    const what = `take or renew the lease of environment ${this.#deps.environment}`;
    this.#refuseReadOnly(what);
    return withDeadline(this.#deps.context, what, () => this.#election.tryAcquireOrRenew(holder, leaseMs));
  }

  async releaseLease(fence: LeaseHolder): Promise<void> {
    const what = `release the lease of environment ${this.#deps.environment}`;
    this.#refuseReadOnly(what);
    return withDeadline(this.#deps.context, what, () => this.#election.releaseLease(fence));
  }

  readLease(): Promise<LeaseHolder | undefined> {
    return withDeadline(this.#deps.context, `read the lease of environment ${this.#deps.environment}`, () => this.#election.readLease());
  }

  /** Puts and deletes as txn operations; a key both put and deleted is put (deletes apply first), each key once (etcd refuses duplicates). */
  #ops(changes: RecordChanges): IRequestOp[] {
    const { layout, environment } = this.#deps;
    const puts = new Map(changes.put.map((entry) => [entry.key, entry]));
    const deletes = new Set(changes.delete.filter((key) => !puts.has(key)));
    return [
      ...[...deletes].map((key): IRequestOp => ({ request_delete_range: { key: layout.recordKey(environment, key) } })),
      ...[...puts.values()].map((entry): IRequestOp => ({ request_put: { key: layout.recordKey(environment, entry.key), value: Buffer.from(JSON.stringify(entry)) } })),
    ];
  }

  #parse(key: InstanceKey, value: Buffer): InventoryEntry {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString('utf8'));
    } catch (e: unknown) {
      throw this.#corrupt(key, 'not valid JSON', e);
    }
    if (!isEntry(key, parsed)) throw this.#corrupt(key, 'the wrong shape');
    return parsed;
  }

  #corrupt(key: InstanceKey, why: string, cause?: unknown): StateStoreError {
    const { context, environment } = this.#deps;
    return new StateStoreError('ERR_STATE_STORE_CORRUPT', `record "${key}" of environment ${environment} in state store ${context.description} is corrupt: ${why}`, { cause });
  }

  #fenced(fence: LeaseHolder): StateStoreError {
    const { context, environment } = this.#deps;
    return new StateStoreError('ERR_STATE_FENCED', `not writing records of environment ${environment} to state store ${context.description}: the lease of ${fence.holder} (epoch ${fence.epoch}) is no longer current`);
  }

  #refuseReadOnly(what: string): void {
    if (this.#deps.readOnly) throw new StateStoreError('ERR_STATE_STORE_DENIED', `${what} on state store ${this.#deps.context.description} refused: the store was opened read-only`);
  }
}
