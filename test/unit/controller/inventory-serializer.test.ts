/**
 * The cached inventory text (controller/inventory-serializer.ts) is byte for byte the file format,
 * `JSON.stringify({ version: 1, entries }, null, 2)` with a newline and the entries sorted by key,
 * through a sequence of changes: adds in any order, an entry replaced by a new object, a removal, an
 * emptied map, and odd characters in keys and values.
 */
import { expect, test } from '@jest/globals';
import { InventorySerializer } from '../../../src/controller/inventory-serializer.js';
import type { InventoryEntry } from '../../../src/domain/plan.js';
import { anInventoryEntry } from '../../helpers/builders.js';

/** The format by its definition: what the serializer builds from parts. */
function reference(entries: ReadonlyMap<string, InventoryEntry>): string {
  const sorted = [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `${JSON.stringify({ version: 1, entries: Object.fromEntries(sorted.map((e) => [e.key, e])) }, null, 2)}\n`;
}

type Step = (entries: Map<string, InventoryEntry>, serializer: InventorySerializer) => void;
const add = (entry: InventoryEntry): Step => (entries, serializer) => {
  if (!entries.has(entry.key)) serializer.keysChanged();
  entries.set(entry.key, entry);
};
const remove = (key: string): Step => (entries, serializer) => {
  entries.delete(key);
  serializer.keysChanged();
};

test.each<[string, Step[]]>([
  ['no entries', []],
  ['one entry', [add(anInventoryEntry({ key: 'web-1' }))]],
  ['keys added out of order come out sorted', [add(anInventoryEntry({ key: 'b', id: '1i2' })), add(anInventoryEntry({ key: 'a', id: '1i1' })), add(anInventoryEntry({ key: 'c', id: '1i3' }))]],
  ['an entry replaced by a new object shows the new one', [add(anInventoryEntry({ key: 'a' })), add(anInventoryEntry({ key: 'b', id: '1i2' })), add(anInventoryEntry({ key: 'a', restartToken: 't2' }))]],
  ['a removed key is gone', [add(anInventoryEntry({ key: 'a' })), add(anInventoryEntry({ key: 'b', id: '1i2' })), remove('a')]],
  ['emptied again', [add(anInventoryEntry({ key: 'a' })), remove('a')]],
  ['quotes, newlines and unicode in keys and values', [add(anInventoryEntry({ key: 'we"b\n1', name: 'wé\tb', restartToken: '🚀' }))]],
])('%s', (_case, steps) => {
  const entries = new Map<string, InventoryEntry>();
  const serializer = new InventorySerializer();
  for (const step of steps) {
    step(entries, serializer);
    // after every step, not only the last: the cache must follow each change
    expect(serializer.serialize(entries)).toBe(reference(entries));
  }
});
