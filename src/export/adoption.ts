/**
 * What `export --adopt` records in the inventory: one entry per exported container that no key owns
 * yet, as the reconciler's own adoption would write it (src/domain/diff-target.ts): origin `created`
 * when our labels say we created it for that key, else `adopted`; no restart token (an exported manifest
 * declares none). A container the inventory owns already is reported and left as it is. Pure.
 */
import type { InventoryRecord } from '../domain/plan.js';
import { describeContainer, type ExportedInstance, type ExportMessage, type OwnershipView } from './export-plan.js';

export type AdoptionPlan = Readonly<{
  records: readonly InventoryRecord[];
  /** Exported containers the inventory owned before. */
  alreadyOwned: number;
  messages: readonly ExportMessage[];
}>;

/** The inventory records that make `instances` owned. */
export function planAdoptions(instances: readonly ExportedInstance[], ownership: OwnershipView): AdoptionPlan {
  const records: InventoryRecord[] = [];
  const messages: ExportMessage[] = [];
  let alreadyOwned = 0;
  for (const { key, live, keyFrom } of instances) {
    if (keyFrom === 'inventory') {
      alreadyOwned += 1;
      messages.push({ level: 'note', message: `container ${describeContainer(live)} is already owned by key ${JSON.stringify(key)}: not adopted again` });
      continue;
    }
    // export reserves the keys of live owned containers, so an entry here is one whose container is gone
    const previous = ownership.get(key);
    if (previous !== undefined) messages.push({ level: 'note', message: `key ${JSON.stringify(key)} recorded container ${previous.id}, which is gone: it now owns ${live.id}` });
    records.push({ key, id: live.id, uuid: live.uuid, name: live.name ?? key, origin: keyFrom === 'labels' ? 'created' : 'adopted' });
  }
  return { records, alreadyOwned, messages };
}
