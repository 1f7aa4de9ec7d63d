/**
 * The subset a `plan` or `apply` works on (`--only`, `--selector`), decided in one place for both: `plan`
 * (plan-report.ts) and the controller of `apply` take their keys from `selectKeys`, and the removal
 * decision (prune-budget.ts) and the diff inputs (diff-inputs.ts: who may take a container over) ask
 * `inSubset`. Only the set of keys run is narrowed: the desired store, the inventory and the live view
 * stay whole, so name clashes with instances outside the subset are still seen. Pure.
 *
 * - A declared key is in the subset when its manifest matches: `--only` names its key or its Rancher
 *   name (`spec.name`), `--selector` matches its `spec.labels`; both given, both must hold.
 * - An orphan (owned, its manifest gone) is in it only when `--only` names its key or Rancher name, and
 *   never with `--selector` (its labels went with its manifest): a subset never prunes what it does not
 *   name.
 */
import { ConfigError } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import { matchesSelector, type LabelSelector } from '../domain/selector.js';
import type { DesiredReader } from '../manifest/store.js';
import { ownedKeys } from './owned-keys.js';
import { plural } from '../plural.js';

/** `--only` names (keys or Rancher names) and the `--selector`; neither = the whole tree. */
export type Subset = Readonly<{ only: readonly string[]; selector: LabelSelector | undefined }>;

/** No `--only`, no `--selector`. */
export const wholeTree: Subset = { only: [], selector: undefined };

/** What a subset is judged against. */
export type SubsetSources = Readonly<{
  desired: Pick<DesiredReader, 'get' | 'keys' | 'blockedBy'>;
  inventory: Parameters<typeof ownedKeys>[0];
  live: Parameters<typeof ownedKeys>[1];
}>;

/** The keys a run looks after, sorted, and how many declared or owned keys the subset leaves out. */
export type KeySelection = Readonly<{ keys: readonly InstanceKey[]; leftOut: number }>;

/** Whether `--only` or `--selector` narrows the run. */
export function isNarrowed(subset: Subset): boolean {
  return subset.only.length > 0 || subset.selector !== undefined;
}

/** `ownedName` is only asked for an orphan that `--only` does not name by key. */
function judge(subset: Subset, key: InstanceKey, desired: SubsetSources['desired'], ownedName: () => string | undefined): boolean {
  if (!isNarrowed(subset)) return true;
  const declared = desired.get(key);
  // a key whose file fails is still declared (its last good state, if any, decides the selector)
  if (declared !== undefined || desired.blockedBy(key) !== undefined) {
    const named = subset.only.length === 0 || subset.only.includes(key) || (declared !== undefined && subset.only.includes(declared.spec.name));
    return named && (subset.selector === undefined || (declared !== undefined && matchesSelector(subset.selector, declared.spec.labels)));
  }
  if (subset.selector !== undefined || subset.only.length === 0) return false;
  if (subset.only.includes(key)) return true;
  const name = ownedName();
  return name !== undefined && subset.only.includes(name);
}

/** Whether `key` is in the subset (see the file comment). */
export function inSubset(subset: Subset, key: InstanceKey, sources: SubsetSources): boolean {
  return judge(subset, key, sources.desired, () => sources.inventory.get(key)?.name ?? ownedKeys(sources.inventory, sources.live).find((o) => o.key === key)?.name);
}

/** Every declared or owned key, narrowed to the subset. */
export function selectKeys(subset: Subset, sources: SubsetSources): KeySelection {
  const owned = ownedKeys(sources.inventory, sources.live);
  const all = [...new Set([...sources.desired.keys(), ...owned.map((o) => o.key)])].sort();
  if (!isNarrowed(subset)) return { keys: all, leftOut: 0 };
  const names = new Map(owned.map((o) => [o.key, o.name]));
  const keys = all.filter((key) => judge(subset, key, sources.desired, () => names.get(key)));
  return { keys, leftOut: all.length - keys.length };
}

/** The `--only` names that are no declared key, declared Rancher name, owned key or owned Rancher name. */
export function unknownOnlyNames(subset: Subset, sources: SubsetSources): string[] {
  if (subset.only.length === 0) return [];
  const known = new Set<string>();
  for (const key of sources.desired.keys()) known.add(key).add(sources.desired.get(key)?.spec.name ?? key);
  for (const owned of ownedKeys(sources.inventory, sources.live)) known.add(owned.key).add(owned.name);
  return subset.only.filter((name) => !known.has(name));
}

/**
 * Throws a ConfigError (a usage error: exit 1) when `--only` names something nothing declares or owns:
 * a typo must not pass as an empty run. Called once the tree, the inventory and the live list are read.
 */
export function assertOnlyNamesKnown(subset: Subset, sources: SubsetSources): void {
  const unknown = unknownOnlyNames(subset, sources);
  if (unknown.length === 0) return;
  const list = unknown.map((name) => `\`${name}\``).join(', ');
  throw new ConfigError([`--only: no declared or owned instance has the key or Rancher name ${list} (names are matched exactly)`]);
}

/** A subset as `plan --output json` reports it; `selected` keys are run, `leftOut` are not. */
export type SubsetSummary = Readonly<{ only: readonly string[]; selector: string | null; selected: number; leftOut: number }>;

/** The summary of a narrowed run, or null for the whole tree. */
export function summarizeSubset(subset: Subset, selection: KeySelection): SubsetSummary | null {
  if (!isNarrowed(subset)) return null;
  return { only: subset.only, selector: subset.selector?.text ?? null, selected: selection.keys.length, leftOut: selection.leftOut };
}

/** `--only a,b`, `--selector tier=web`, or both joined by `and`. */
export function describeSubset(summary: Pick<SubsetSummary, 'only' | 'selector'>): string {
  const parts = [summary.only.length > 0 ? `--only ${summary.only.join(',')}` : '', summary.selector === null ? '' : `--selector ${summary.selector}`];
  return parts.filter((part) => part !== '').join(' and ');
}

/**
 * The line `plan` and `apply` print about a subset (`verb`: planned, applied), or '' for the whole tree:
 * `3 instances outside --selector tier=web: not planned.`, or when nothing matches (not an error, as
 * kubectl's "No resources found": a selector is a query)
 * `No instance matches --selector tier=db (5 instances outside it: not planned).`
 */
export function subsetLine(summary: SubsetSummary | null, verb: 'planned' | 'applied'): string {
  if (summary === null) return '';
  const outside = `${plural(summary.leftOut, 'instance')} outside`;
  if (summary.selected === 0) return `No instance matches ${describeSubset(summary)} (${outside} it: not ${verb}).\n`;
  return `${outside} ${describeSubset(summary)}: not ${verb}.\n`;
}
