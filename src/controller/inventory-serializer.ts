/**
 * The inventory file's text, written after every batch of changes: with thousands of entries, turning
 * the whole map into pretty JSON and sorting its keys again for each write was the daemon's biggest CPU
 * cost while it converged (a profile of 1,000 creates showed the whole-file serialisation on top). The
 * text is `JSON.stringify({ version: 1, entries }, null, 2)` plus a newline, entries sorted by key, built
 * from parts: each entry's part is kept beside the entry object it was made from (entries are immutable
 * and replaced whole on change), and the sorted key list is kept until a key is added or removed, so a
 * write re-serializes only what changed. `serializeInventory` (inventory.ts) is this without a cache.
 */
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';

export class InventorySerializer {
  /** Entry object -> its `"key": {...}` member, indented as JSON.stringify(file, null, 2) indents it. */
  readonly #members = new WeakMap<InventoryEntry, string>();
  #sortedKeys: InstanceKey[] | undefined;

  /** A key was added or removed: the order is worked out again on the next write. */
  keysChanged(): void {
    this.#sortedKeys = undefined;
  }

  /** The file's text for `entries` (keyed by their key). */
  serialize(entries: ReadonlyMap<InstanceKey, InventoryEntry>): string {
    this.#sortedKeys ??= [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const members: string[] = [];
    for (const key of this.#sortedKeys) {
      const entry = entries.get(key);
      if (entry !== undefined) members.push(this.#member(entry));
    }
    const body = members.length === 0 ? '{}' : `{\n${members.join(',\n')}\n  }`;
    return `{\n  "version": 1,\n  "entries": ${body}\n}\n`;
  }

  #member(entry: InventoryEntry): string {
    let member = this.#members.get(entry);
    if (member === undefined) {
      // nested two levels deep: every line of the entry's own pretty JSON after the first moves in by 4
      member = `    ${JSON.stringify(entry.key)}: ${JSON.stringify(entry, null, 2).replace(/\n/g, '\n    ')}`;
      this.#members.set(entry, member);
    }
    return member;
  }
}
