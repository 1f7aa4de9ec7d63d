/**
 * `spec.prune: false`: an instance that prune never removes. The manifest says it, but a prune happens
 * exactly when the manifest is gone, so the protection is copied into the key's inventory entry
 * (`prune: false`) while the manifest is there, and `diff` reads it from the entry for an orphan. Pure.
 */
import type { DiffInput } from './diff-input.js';
import type { DesiredInstance } from './instance.js';
import type { InventoryEntry, InventoryPatch, InventoryRecord, Plan } from './plan.js';

/** Whether the entry says `prune: false`: the orphan it owns is kept, and is no removal of the revision. */
export function isPruneProtected(entry: Pick<InventoryEntry, 'prune'> | undefined): boolean {
  return entry?.prune === false;
}

/**
 * The patch that makes `recorded` say what `desired` says about pruning: `{ prune: false }` to protect,
 * `{ prune: undefined }` to clear a protection the manifest dropped, `{}` when they agree.
 */
export function protectionChanges(desired: DesiredInstance, recorded: Pick<InventoryRecord, 'prune'>): InventoryPatch {
  const wanted = desired.prune === false;
  if (wanted === isPruneProtected(recorded)) return {};
  return wanted ? { prune: false } : { prune: undefined };
}

/**
 * `plan` with the key's recorded protection brought in line with its manifest: folded into an
 * adopt/move record, or merged into (or added as) a patch of the owned entry. A create carries it in
 * its own record (diff.ts `createPlan`); an orphan, a forget and an invalid manifest are left as they are.
 */
export function withProtection(input: DiffInput, plan: Plan): Plan {
  const desired = input.desired;
  const effect = plan.inventory;
  if (desired === undefined || input.manifestIssue !== undefined || effect?.kind === 'forget') return plan;
  if (effect?.kind === 'adopt' || effect?.kind === 'move') {
    const changes = protectionChanges(desired, effect.record);
    if (Object.keys(changes).length === 0) return plan;
    const { prune: _old, ...record } = effect.record;
    return { ...plan, inventory: { ...effect, record: changes.prune === false ? { ...record, prune: false } : record } };
  }
  const entry = input.owned?.entry;
  if (entry === undefined) return plan;
  const patched = effect !== undefined && 'prune' in effect.changes ? { prune: effect.changes.prune } : entry;
  const changes = protectionChanges(desired, patched);
  if (Object.keys(changes).length === 0) return plan;
  return { ...plan, inventory: { kind: 'patch', changes: { ...effect?.changes, ...changes } } };
}
