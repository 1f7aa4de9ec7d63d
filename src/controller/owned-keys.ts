/**
 * Which keys own something: every inventory entry, plus keys that containers we created still name in
 * their labels while no entry records them (the inventory was lost or is behind). Both count as managed
 * and as orphans when no manifest declares them (see prune-budget.ts). Used by the controller and `plan`.
 */
import type { InstanceKey } from '../domain/instance.js';
import { createdForKey } from '../domain/ownership.js';
import { isPruneProtected } from '../domain/prune-protection.js';
import type { InventoryEntry } from '../domain/plan.js';
import type { LiveReader } from '../domain/ports.js';

/** `protected`: the entry says `prune: false` (prune-protection.ts), so the key is never a removal. */
export type OwnedKey = Readonly<{ key: InstanceKey; name: string; protected?: true }>;

/** Owned keys with the Rancher name each owns; inventory entries first. */
export function ownedKeys(
  inventory: Readonly<{ entries(): readonly InventoryEntry[]; get(key: InstanceKey): InventoryEntry | undefined; ownerOf(id: string): InstanceKey | undefined }>,
  live: Pick<LiveReader, 'all'>,
): OwnedKey[] {
  const owned: OwnedKey[] = inventory.entries().map((e) => ({ key: e.key, name: e.name, ...(isPruneProtected(e) ? { protected: true as const } : {}) }));
  const seen = new Set(owned.map((o) => o.key));
  for (const container of live.all()) {
    const key = createdForKey(container);
    if (key === undefined || seen.has(key) || inventory.ownerOf(container.id) !== undefined) continue;
    seen.add(key);
    owned.push({ key, name: container.name ?? key });
  }
  return owned;
}
