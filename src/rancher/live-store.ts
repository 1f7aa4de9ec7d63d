/**
 * The in-memory map behind LiveCache: container snapshots by id, each stamped with the time of the
 * snapshot, so an older event never overwrites a newer view. Synchronous and clock-free; every mutation
 * returns the names and ids that changed.
 */
import type { LiveInstance } from '../domain/instance.js';

/** Names (old and new) and ids touched by one store mutation. */
export type StoreChange = { names: Set<string>; ids: Set<string> };

type Entry = Readonly<{ instance: LiveInstance; timeMs: number }>;

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/** True when two snapshots are equal in every field the controller can read. */
export function sameLiveInstance(a: LiveInstance, b: LiveInstance): boolean {
  return (
    a.id === b.id &&
    a.uuid === b.uuid &&
    a.name === b.name &&
    a.description === b.description &&
    a.state === b.state &&
    a.transitioning === b.transitioning &&
    a.transitioningMessage === b.transitioningMessage &&
    a.hostId === b.hostId &&
    a.externalId === b.externalId &&
    a.removed === b.removed &&
    a.createdMs === b.createdMs &&
    sameSet(a.actions, b.actions) &&
    JSON.stringify(a.fields) === JSON.stringify(b.fields)
  );
}

/** Snapshot map with stale-event protection. */
export class LiveStore {
  #byId = new Map<string, Entry>();
  /** Rancher name -> ids, so a look-up by name costs O(matches), not O(store). */
  #idsByName = new Map<string, Set<string>>();

  /** Snapshots held under `name`, removed ones included. */
  byName(name: string): LiveInstance[] {
    const ids = this.#idsByName.get(name);
    if (ids === undefined) return [];
    const found: LiveInstance[] = [];
    for (const id of ids) {
      const entry = this.#byId.get(id);
      if (entry !== undefined) found.push(entry.instance);
    }
    return found;
  }

  #index(name: string | null, id: string): void {
    if (name === null) return;
    let ids = this.#idsByName.get(name);
    if (ids === undefined) {
      ids = new Set();
      this.#idsByName.set(name, ids);
    }
    ids.add(id);
  }

  #unindex(name: string | null, id: string): void {
    if (name === null) return;
    const ids = this.#idsByName.get(name);
    ids?.delete(id);
    if (ids?.size === 0) this.#idsByName.delete(name);
  }

  get(id: string): LiveInstance | undefined {
    return this.#byId.get(id)?.instance;
  }

  /** Every snapshot held, removed ones included. */
  values(): LiveInstance[] {
    return [...this.#byId.values()].map((entry) => entry.instance);
  }

  get size(): number {
    return this.#byId.size;
  }

  /**
   * Applies one snapshot taken at `timeMs`. Ignored (no change) when the held snapshot is newer; a
   * snapshot equal to the held one only refreshes its time.
   */
  apply(instance: LiveInstance, timeMs: number): StoreChange {
    const change: StoreChange = { names: new Set(), ids: new Set() };
    const held = this.#byId.get(instance.id);
    if (held && held.timeMs > timeMs) return change;
    this.#byId.set(instance.id, { instance, timeMs });
    if (held?.instance.name !== instance.name) {
      if (held) this.#unindex(held.instance.name, instance.id);
      this.#index(instance.name, instance.id);
    }
    if (held && sameLiveInstance(held.instance, instance)) return change;
    record(change, held?.instance, instance);
    return change;
  }

  /**
   * Replaces everything with a full list that started at `startedMs`. Entries updated after the list
   * started (by an event or our own call) are kept as they are: the list may predate them.
   */
  replaceAll(instances: readonly LiveInstance[], startedMs: number): StoreChange {
    const change: StoreChange = { names: new Set(), ids: new Set() };
    const next = new Map<string, Entry>();
    for (const instance of instances) {
      const held = this.#byId.get(instance.id);
      if (held && held.timeMs > startedMs) {
        next.set(instance.id, held);
        continue;
      }
      next.set(instance.id, { instance, timeMs: startedMs });
      if (!held || !sameLiveInstance(held.instance, instance)) record(change, held?.instance, instance);
    }
    for (const [id, held] of this.#byId) {
      if (next.has(id)) continue;
      if (held.timeMs > startedMs) next.set(id, held);
      else record(change, held.instance, undefined);
    }
    this.#byId = next;
    this.#idsByName = new Map();
    for (const [id, entry] of next) this.#index(entry.instance.name, id);
    return change;
  }
}

function record(change: StoreChange, before: LiveInstance | undefined, after: LiveInstance | undefined): void {
  const id = after?.id ?? before?.id;
  if (id !== undefined) change.ids.add(id);
  if (before?.name) change.names.add(before.name);
  if (after?.name) change.names.add(after.name);
}
