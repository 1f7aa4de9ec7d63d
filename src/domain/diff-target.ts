/**
 * Which live container a declared key manages, decided before comparing fields (part of `diff`, pure):
 * the owned one, else one recovered by our labels, else one moved from a renamed key, else a unique one
 * adopted by name, else none (create). Also finds surplus twins (same name, created by us for this key,
 * not the target) and same-name containers we do not own (reported, never touched).
 */
import type { DesiredInstance, InstanceKey, LiveInstance } from './instance.js';
import { createdForKey } from './ownership.js';
import type { InventoryEffect, InventoryEntry, InventoryRecord, Plan } from './plan.js';
import { isDying, isGone, type DiffInput } from './diff-input.js';

/** The container to compare with, the entry it is recorded under, and the inventory effect to apply. */
export type Target = Readonly<{
  live: LiveInstance | undefined;
  entry: InventoryEntry | InventoryRecord | undefined;
  effect?: InventoryEffect;
  /** Same-name containers created by us for this key that are not the target: removed first. */
  twins: readonly LiveInstance[];
  /** Same-name containers we did not create and nobody owns: reported, never touched. */
  foreign: readonly LiveInstance[];
}>;

/** The inventory record for a container found for a declared key (adopted, or recovered by our labels). */
export function recordFor(key: InstanceKey, desired: DesiredInstance, found: LiveInstance, origin: InventoryRecord['origin']): InventoryRecord {
  return {
    key,
    id: found.id,
    uuid: found.uuid,
    name: desired.spec.name,
    origin,
    // Adoption takes the current token as applied: an existing instance is never restarted for it.
    ...(desired.restartToken === undefined ? {} : { restartToken: desired.restartToken }),
    ...(desired.stopTimeout === undefined ? {} : { stopTimeout: desired.stopTimeout }),
  };
}

/** The twin to keep when none is recorded: a running one first, then the oldest, then the lowest id. */
export function keeperOf(candidates: readonly LiveInstance[]): LiveInstance | undefined {
  const rank = (l: LiveInstance): number => (l.state === 'running' ? 0 : 1);
  return [...candidates].sort((a, b) => rank(a) - rank(b) || (a.createdMs ?? 0) - (b.createdMs ?? 0) || a.id.localeCompare(b.id, 'en', { numeric: true }))[0];
}

/** Same-name, live, unclaimed containers other than `target`, split into ours (for `keys`) and foreign. */
function others(input: DiffInput, name: string, target: LiveInstance | undefined, keys: ReadonlySet<string>): { twins: LiveInstance[]; foreign: LiveInstance[] } {
  const rest = input.named.filter((l) => l.id !== target?.id && !isDying(l) && l.name === name && !input.claims?.has(l.id));
  const ours = (l: LiveInstance): boolean => {
    const createdFor = createdForKey(l);
    return createdFor !== undefined && keys.has(createdFor);
  };
  return { twins: rest.filter(ours), foreign: rest.filter((l) => !ours(l)) };
}

/** Finds the target for a declared key (see the file comment), or a Plan when that alone decides. */
export function resolveTarget(input: DiffInput, desired: DesiredInstance): Plan | Target {
  const { key, owned } = input;
  const name = desired.spec.name;
  if (owned?.live === 'unseen') return { kind: 'wait', reason: 'not-yet-visible', message: `owned ${owned.entry.id} is not in the live view yet` };
  if (owned !== undefined && owned.live !== 'gone' && !isGone(owned.live)) {
    // twins carry the key they were created for, which a rename leaves behind: the target's own key counts too
    const keys = new Set([key, ...[createdForKey(owned.live)].filter((k): k is string => k !== undefined)]);
    return { live: owned.live, entry: owned.entry, ...others(input, name, owned.live, keys) };
  }
  // Not owned, or the owned instance is gone (purged, removed by hand): losing things is safe, look by name.
  const all = input.named.filter((l) => !isDying(l) && l.name === name);
  const claimed = all.filter((l) => input.claims?.has(l.id) === true);
  const free = all.filter((l) => input.claims?.has(l.id) !== true);
  const ours = free.filter((l) => createdForKey(l) === key);
  if (ours.length > 0) {
    // created by us for this key (the inventory was lost, or a create's answer was lost): recover it
    const keeper = keeperOf(ours)!;
    const record = recordFor(key, desired, keeper, 'created');
    return { live: keeper, entry: record, effect: { kind: 'adopt', record }, ...others(input, name, keeper, new Set([key])) };
  }
  if (claimed.length > 0) return moveOrBlock(input, desired, claimed, free);
  if (free.length > 1) {
    const ids = free.map((l) => l.id).join(', ');
    return { kind: 'blocked', reason: 'duplicate-name', message: `${free.length} containers are named "${name}" (${ids}): none is owned, remove or rename all but one` };
  }
  const [found] = free;
  if (found === undefined) return { live: undefined, entry: undefined, twins: [], foreign: [] };
  const record = recordFor(key, desired, found, 'adopted');
  return { live: found, entry: record, effect: { kind: 'adopt', record }, twins: [], foreign: [] };
}

/**
 * A same-name container another key owns. When that key's manifest is gone (a key rename in one
 * revision), ownership moves to this key: nothing is stopped, removed or created. Otherwise the names
 * clash and the key is blocked.
 */
function moveOrBlock(input: DiffInput, desired: DesiredInstance, claimed: readonly LiveInstance[], free: readonly LiveInstance[]): Plan | Target {
  const [only] = claimed;
  const claim = only === undefined ? undefined : input.claims?.get(only.id);
  if (only !== undefined && claim !== undefined && claimed.length === 1 && !claim.declared && free.length === 0) {
    const record: InventoryRecord = { ...withoutTimes(claim.entry), key: input.key, name: desired.spec.name };
    return { live: only, entry: record, effect: { kind: 'move', from: claim.key, record }, twins: [], foreign: [] };
  }
  const ids = claimed.map((l) => l.id).join(', ');
  if (claim?.outsideRun === true && claimed.length === 1) {
    return { kind: 'blocked', reason: 'duplicate-name', message: `"${desired.spec.name}" is the name of ${ids}, owned by "${claim.key}", whose manifest is gone: a rename moves it only when both keys are in the run (add "${claim.key}" to --only)` };
  }
  return { kind: 'blocked', reason: 'duplicate-name', message: `"${desired.spec.name}" is already the name of ${ids}, owned by another manifest: rename one of them` };
}

function withoutTimes(entry: InventoryEntry): InventoryRecord {
  const { createdAt: _created, updatedAt: _updated, ...record } = entry;
  return record;
}
