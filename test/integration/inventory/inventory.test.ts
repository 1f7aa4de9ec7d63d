import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inventory } from '../../../src/controller/inventory.js';
import { parseInventory, readInventoryFile, serializeInventory } from '../../../src/controller/inventory-file.js';
import { ReconcilerError } from '../../../src/errors.js';
import { anInventoryEntry } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

let dir: string;
const clock = new ManualClock();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inventory-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function anInventory(stateDir = dir): { inventory: Inventory; sink: ReturnType<typeof captureLogger>['sink'] } {
  const { log, sink } = captureLogger();
  return { inventory: new Inventory({ stateDir, clock, log }), sink };
}

const onDisk = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, 'inventory.json'), 'utf8'));

describe('Inventory', () => {
  test('starts empty when the file is missing, creating the state dir', async () => {
    const { inventory } = anInventory(join(dir, 'nested', 'state'));
    expect(await inventory.load()).toEqual({ entries: 0 });
    expect(inventory.entries()).toEqual([]);
    expect(await readdir(join(dir, 'nested'))).toEqual(['state']);
  });

  test('setAndFlush puts the record on disk before resolving, in the versioned format', async () => {
    const { inventory } = anInventory();
    await inventory.load();
    const entry = anInventoryEntry({ restartToken: 't1', stopTimeout: 5 });
    await inventory.setAndFlush(entry);
    expect(await onDisk()).toEqual({ version: 1, entries: { 'web-1': entry } });
  });

  test('round-trips through a new process-like instance', async () => {
    const first = anInventory().inventory;
    await first.load();
    first.set(anInventoryEntry({ key: 'b', id: '1i2' }));
    first.set(anInventoryEntry({ key: 'a', id: '1i1', origin: 'adopted' }));
    await first.flush();
    const second = anInventory().inventory;
    expect(await second.load()).toEqual({ entries: 2 });
    expect(second.get('a')).toEqual(anInventoryEntry({ key: 'a', id: '1i1', origin: 'adopted' }));
    expect(second.entries().map((e) => e.key)).toEqual(['a', 'b']);
  });

  test('coalesces rapid set() calls into one write and serialises later ones', async () => {
    const { inventory } = anInventory();
    await inventory.load();
    for (let i = 0; i < 50; i++) inventory.set(anInventoryEntry({ key: `k${i}`, id: `1i${i}` }));
    await inventory.flush();
    expect(inventory.writes).toBe(1);
    inventory.set(anInventoryEntry({ key: 'late' }));
    const pending = inventory.flush();
    inventory.delete('k0');
    await pending;
    await inventory.flush();
    const file = (await onDisk()) as { entries: Record<string, unknown> };
    expect(Object.keys(file.entries)).toHaveLength(50);
    expect(file.entries['k0']).toBeUndefined();
    expect(file.entries['late']).toBeDefined();
    expect(inventory.writes).toBeLessThanOrEqual(3);
  });

  test('flush with nothing pending resolves without writing', async () => {
    const { inventory } = anInventory();
    await inventory.load();
    await inventory.flush();
    expect(inventory.writes).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  test('delete then flush removes the entry on disk', async () => {
    const { inventory } = anInventory();
    await inventory.load();
    await inventory.setAndFlush(anInventoryEntry());
    inventory.delete('web-1');
    await inventory.flush();
    expect(await onDisk()).toEqual({ version: 1, entries: {} });
  });

  test('moves a corrupt file aside, logs it, and starts empty', async () => {
    await writeFile(join(dir, 'inventory.json'), '{"version":1,"entries":{"web-1":{"key":"web-1","id":"1i');
    const { inventory, sink } = anInventory();
    const result = await inventory.load();
    const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
    expect(result).toEqual({ entries: 0, quarantined: join(dir, `inventory.json.corrupt-${stamp}`) });
    expect(await readdir(dir)).toEqual([`inventory.json.corrupt-${stamp}`]);
    expect(sink.lines.filter((l) => l.msg === 'inventory corrupt, moved aside')).toEqual([
      expect.objectContaining({ file: join(dir, 'inventory.json'), quarantined: result.quarantined }),
    ]);
  });

  test("with onCorrupt: 'throw' a corrupt file is reported and left in place", async () => {
    await writeFile(join(dir, 'inventory.json'), 'not json');
    const { inventory } = anInventory();
    await expect(inventory.load({ onCorrupt: 'throw' })).rejects.toMatchObject({ code: 'ERR_INVENTORY_CORRUPT' });
    expect(await readdir(dir)).toEqual(['inventory.json']);
  });

  test('removes temp files a crash left behind', async () => {
    await writeFile(join(dir, 'inventory.json.tmp-123-abcd'), '{"version":1,"ent');
    await writeFile(join(dir, 'other.txt'), 'kept');
    const { inventory } = anInventory();
    await inventory.load();
    expect((await readdir(dir)).sort()).toEqual(['other.txt']);
  });

  test('a failed write throws ERR_INVENTORY_IO to the flusher and is retried by the next flush', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const { inventory, sink } = anInventory(blocker);
    inventory.set(anInventoryEntry());
    const error = await inventory.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReconcilerError);
    expect(error).toMatchObject({ code: 'ERR_INVENTORY_IO', retryable: true });
    await expect(inventory.flush()).rejects.toMatchObject({ code: 'ERR_INVENTORY_IO' });
    expect(sink.lines.filter((l) => l.msg === 'inventory write failed')).toHaveLength(1);
  });
});

describe('inventory file format', () => {
  test.each<[string, string]>([
    ['a torn file', '{"version":1,"entries":{'],
    ['an empty file', ''],
    ['a non-object', '[]'],
    ['an unknown version', '{"version":2,"entries":{}}'],
    ['entries that are not an object', '{"version":1,"entries":[]}'],
    ['an entry filed under another key', JSON.stringify({ version: 1, entries: { other: anInventoryEntry() } })],
    ['an entry with a bad origin', JSON.stringify({ version: 1, entries: { 'web-1': { ...anInventoryEntry(), origin: 'stolen' } } })],
    ['an entry without an id', JSON.stringify({ version: 1, entries: { 'web-1': { ...anInventoryEntry(), id: undefined } } })],
  ])('rejects %s as ERR_INVENTORY_CORRUPT', (_what, text) => {
    expect(() => parseInventory(text, 'inventory.json')).toThrow(expect.objectContaining({ code: 'ERR_INVENTORY_CORRUPT' }) as unknown as Error);
  });

  test('serialises sorted by key and parses back', () => {
    const text = serializeInventory([anInventoryEntry({ key: 'b' }), anInventoryEntry({ key: 'a' })]);
    expect(Object.keys((JSON.parse(text) as { entries: object }).entries)).toEqual(['a', 'b']);
    expect([...parseInventory(text, 'x').keys()]).toEqual(['a', 'b']);
  });

  test('readInventoryFile returns undefined for a missing file', async () => {
    expect(await readInventoryFile(join(dir, 'missing.json'))).toBeUndefined();
  });
});
