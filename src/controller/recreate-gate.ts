/**
 * The `--max-unavailable` rule for recreates: at most `limit` declared instances are down at once
 * because of a recreate. A key holds a slot from the removal of its old container until its new one
 * matches its desired state; the slot is the `recreating` mark on its inventory entry, so it survives a
 * restart. The reconciler takes a slot with `tryAcquire` right before the removal (synchronously: two
 * concurrent passes cannot both take the last slot); `diff` releases it with an inventory patch.
 */
import type { RecreatePolicy } from '../domain/diff.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';

/** `--max-unavailable`: a count, or a percentage of the declared instances (rounded down, at least 1). */
export type MaxUnavailable = Readonly<{ kind: 'count'; count: number }> | Readonly<{ kind: 'percent'; percent: number }>;

/** The slot count for `declared` instances. */
export function unavailableLimit(max: MaxUnavailable, declared: number): number {
  if (max.kind === 'count') return Math.max(1, max.count);
  return Math.max(1, Math.floor((declared * max.percent) / 100));
}

export type RecreateGateDeps = Readonly<{
  inventory: Readonly<{ get(key: InstanceKey): InventoryEntry | undefined; recreatingKeys(): readonly InstanceKey[]; setAndFlush(entry: InventoryEntry): Promise<void> }>;
  maxUnavailable: MaxUnavailable;
  /** How many instances are declared now (for a percentage). */
  declaredCount: () => number;
  nowIso: () => string;
}>;

export class RecreateGate {
  readonly #deps: RecreateGateDeps;

  constructor(deps: RecreateGateDeps) {
    this.#deps = deps;
  }

  #limit(): number {
    return unavailableLimit(this.#deps.maxUnavailable, this.#deps.declaredCount());
  }

  /** The policy `diff` gets for `key`: allowed while a slot is free (or the key holds one). */
  policyFor(key: InstanceKey): RecreatePolicy {
    const holders = this.#deps.inventory.recreatingKeys().filter((k) => k !== key);
    const limit = this.#limit();
    return holders.length < limit ? { kind: 'allowed' } : { kind: 'paced', holders, limit };
  }

  /**
   * Takes a slot for `key` (marks its entry `recreating`, durably) and returns true, or returns false
   * when every slot is held by other keys. A key that holds a slot already gets true.
   */
  async tryAcquire(key: InstanceKey): Promise<boolean> {
    const entry = this.#deps.inventory.get(key);
    if (entry === undefined) return false;
    if (entry.recreating === true) return true;
    if (this.policyFor(key).kind !== 'allowed') return false;
    // the mark is in memory before the first await: a concurrent pass sees the slot taken
    await this.#deps.inventory.setAndFlush({ ...entry, recreating: true, updatedAt: this.#deps.nowIso() });
    return true;
  }
}
