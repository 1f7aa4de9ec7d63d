/**
 * The delete budget (README.md "Safety rules"): how many orphans one revision may remove,
 * and the per-revision decision the controller hands to `diff` as each key's RemovalPolicy. Pure.
 */
import type { RemovalPolicy } from '../domain/diff.js';
import type { InstanceKey } from '../domain/instance.js';
import { plural, pluralWord } from '../plural.js';

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
    return { kind: 'refused', reason: 'frozen-incomplete', count, budget: options.budget, message: `${plural(count, 'removal')} frozen: the manifest tree did not parse completely` };
  }
  if (count > options.budget) {
    return { kind: 'refused', reason: 'over-budget', count, budget: options.budget, message: `${plural(count, 'removal')} ${pluralWord(count, 'exceeds', 'exceed')} the delete budget of ${options.budget}: nothing is removed` };
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
  /** `protected`: the entry says `prune: false`; such an orphan is kept and is no removal of the revision. */
  owned: readonly Readonly<{ key: InstanceKey; name: string; protected?: boolean }>[];
  prune: boolean;
  maxDelete: number | undefined;
  /**
   * `plan`/`apply` on a subset (subset.ts): only its orphans are candidates, so orphans outside it are
   * neither removed nor counted against the budget. The budget itself stays that of the whole managed
   * set: narrowing a run does not change how much of the environment one revision may remove.
   */
  inSubset?: (key: InstanceKey) => boolean;
}>;

/**
 * Orphans are owned keys that no manifest declares (a key whose file failed is blocked, not an orphan).
 * An orphan whose Rancher name a declared key without an entry of its own now declares is being renamed:
 * its container moves to that key and is never a removal; nor is a protected one (`spec.prune: false`,
 * kept in its entry): it is kept, so it neither counts against the budget nor freezes anything.
 * Returns the orphans to remove with the revision's decision under the default or explicit delete budget.
 */
export function decideRevisionRemovals(inputs: RemovalInputs): Readonly<{ orphans: InstanceKey[]; decision: RemovalDecision }> {
  const { desired, owned } = inputs;
  const ownedKeys = new Set(owned.map((o) => o.key));
  const claimedNames = new Set(desired.keys().filter((k) => !ownedKeys.has(k)).flatMap((k) => [desired.get(k)?.spec.name ?? []].flat()));
  const orphans = owned
    .filter((o) => desired.get(o.key) === undefined && desired.blockedBy(o.key) === undefined && !claimedNames.has(o.name) && o.protected !== true)
    .filter((o) => inputs.inSubset?.(o.key) ?? true)
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
