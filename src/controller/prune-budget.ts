/**
 * The delete budget (README.md "Safety rules"): how many orphans one revision may remove,
 * and the per-revision decision the controller hands to `diff` as each key's RemovalPolicy. Pure.
 */
import type { RemovalPolicy } from '../domain/diff.js';
import type { InstanceKey } from '../domain/instance.js';

/**
 * Removals allowed per revision: an explicit `maxDelete` (any integer >= 0) replaces the default, which
 * is 25 % of the managed set rounded down, at most 10 and at least 1.
 */
export function deleteBudget(managedCount: number, maxDelete?: number): number {
  if (maxDelete !== undefined) return Math.max(0, Math.floor(maxDelete));
  return Math.max(1, Math.min(10, Math.floor(managedCount * 0.25)));
}

/** What a revision may do with its orphans (owned keys whose manifest is gone). */
export type RemovalDecision =
  | Readonly<{ kind: 'disabled' }>
  | Readonly<{ kind: 'allowed'; keys: readonly InstanceKey[] }>
  | Readonly<{ kind: 'refused'; reason: 'frozen-incomplete' | 'over-budget'; count: number; budget: number; message: string }>;

/**
 * Decides removals for a whole revision: nothing without `prune`; nothing from an incomplete tree; and
 * all or nothing against `budget` (a revision over budget removes nothing and says why). An empty
 * candidate list is always `allowed` with no keys.
 */
export function decideRemovals(
  candidates: readonly InstanceKey[],
  options: Readonly<{ prune: boolean; complete: boolean; budget: number }>,
): RemovalDecision {
  if (!options.prune) return { kind: 'disabled' };
  if (candidates.length === 0) return { kind: 'allowed', keys: [] };
  const count = candidates.length;
  if (!options.complete) {
    return { kind: 'refused', reason: 'frozen-incomplete', count, budget: options.budget, message: `${count} removals frozen: the manifest tree did not parse completely` };
  }
  if (count > options.budget) {
    return { kind: 'refused', reason: 'over-budget', count, budget: options.budget, message: `${count} removals exceed the delete budget of ${options.budget}: nothing is removed` };
  }
  return { kind: 'allowed', keys: [...candidates] };
}

/** What `decideRevisionRemovals` reads: the desired side and the owned keys with their Rancher names. */
export type RemovalInputs = Readonly<{
  desired: Readonly<{
    get(key: InstanceKey): { spec: { name: string } } | undefined;
    blockedBy(key: InstanceKey): unknown;
    keys(): InstanceKey[];
    readonly complete: boolean;
  }>;
  owned: readonly Readonly<{ key: InstanceKey; name: string }>[];
  prune: boolean;
  maxDelete: number | undefined;
}>;

/**
 * Orphans are owned keys that no manifest declares (a key whose file failed is blocked, not an orphan).
 * An orphan whose Rancher name a declared key without an entry of its own now declares is being renamed:
 * its container moves to that key and is never a removal. Returns the orphans with the revision's
 * decision under the default or explicit delete budget.
 */
export function decideRevisionRemovals(inputs: RemovalInputs): Readonly<{ orphans: InstanceKey[]; decision: RemovalDecision }> {
  const { desired, owned } = inputs;
  const ownedKeys = new Set(owned.map((o) => o.key));
  const claimedNames = new Set(desired.keys().filter((k) => !ownedKeys.has(k)).flatMap((k) => [desired.get(k)?.spec.name ?? []].flat()));
  const orphans = owned
    .filter((o) => desired.get(o.key) === undefined && desired.blockedBy(o.key) === undefined && !claimedNames.has(o.name))
    .map((o) => o.key);
  const decision = decideRemovals(orphans, { prune: inputs.prune, complete: desired.complete, budget: deleteBudget(owned.length, inputs.maxDelete) });
  return { orphans, decision };
}

/** The RemovalPolicy that `diff` gets for `key` under `decision`. */
export function removalPolicyFor(decision: RemovalDecision, key: InstanceKey): RemovalPolicy {
  switch (decision.kind) {
    case 'disabled':
      return 'disabled';
    case 'refused':
      return decision.reason;
    case 'allowed':
      // A key outside the decided set (it became an orphan after the decision) waits for the next revision.
      return decision.keys.includes(key) ? 'allowed' : 'next-revision';
  }
}

/**
 * The current revision's removal decision, shared by the controller (which decides it on each manifest
 * snapshot) and the reconciler (which asks it per key). Starts `disabled`.
 */
export class RemovalGate {
  #decision: RemovalDecision = { kind: 'disabled' };

  get decision(): RemovalDecision {
    return this.#decision;
  }

  set decision(decision: RemovalDecision) {
    this.#decision = decision;
  }

  /** The RemovalPolicy `diff` gets for `key`. */
  policyFor(key: InstanceKey): RemovalPolicy {
    return removalPolicyFor(this.#decision, key);
  }
}
