import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inventory } from '../../../src/controller/inventory.js';
import { serializeInventory } from '../../../src/controller/inventory-file.js';
import { createLogger } from '../../../src/logger.js';
import { anInventoryEntry } from '../../helpers/builders.js';
import { LogSink } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

let dir: string;
let stateDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inventory-modes-'));
  stateDir = join(dir, 'state');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function anInventory(clock = new ManualClock()): { inventory: Inventory; sink: LogSink; clock: ManualClock } {
  const sink = new LogSink();
  return { inventory: new Inventory({ stateDir, clock, log: createLogger({ level: 'debug', pretty: false }, sink) }), sink, clock };
}

describe('Inventory.load({ readOnly: true }) (plan beside a running daemon)', () => {
  test('a missing state dir is an empty inventory and stays missing', async () => {
    const { inventory } = anInventory();
    expect(await inventory.load({ readOnly: true })).toEqual({ entries: 0 });
    expect(existsSync(stateDir)).toBe(false);
  });

  test("reads the entries and leaves a writer's temp files alone", async () => {
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'inventory.json'), serializeInventory([anInventoryEntry()]));
    await writeFile(join(stateDir, 'inventory.json.tmp-123'), '{"version":1,"ent');
    const { inventory } = anInventory();
    expect(await inventory.load({ readOnly: true })).toEqual({ entries: 1 });
    expect(inventory.get('web-1')).toEqual(anInventoryEntry());
    expect((await readdir(stateDir)).sort()).toEqual(['inventory.json', 'inventory.json.tmp-123']);
  });

  test('a corrupt file throws and is not moved aside, whatever onCorrupt says', async () => {
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'inventory.json'), 'not json');
    const { inventory } = anInventory();
    await expect(inventory.load({ readOnly: true, onCorrupt: 'quarantine' })).rejects.toMatchObject({ code: 'ERR_INVENTORY_CORRUPT' });
    expect(await readdir(stateDir)).toEqual(['inventory.json']);
  });

  test('every write attempt throws ERR_INTERNAL and writes nothing', async () => {
    const { inventory } = anInventory();
    await inventory.load({ readOnly: true });
    expect(() => inventory.set(anInventoryEntry())).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }) as unknown as Error);
    expect(() => inventory.delete('web-1')).toThrow(/loaded read-only/);
    await expect(inventory.setAndFlush(anInventoryEntry())).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    expect(() => inventory.delete('web-1')).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }) as unknown as Error);
    await inventory.flush();
    expect(inventory.size).toBe(0);
    expect(inventory.writes).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
  });

  test('a later writable load makes it writable again', async () => {
    const { inventory } = anInventory();
    await inventory.load({ readOnly: true });
    await inventory.load();
    await inventory.setAndFlush(anInventoryEntry());
    expect(inventory.writes).toBe(1);
  });
});

describe('a failed background write is retried on the clock', () => {
  /** Makes the state dir unusable (root ignores permissions, so it becomes a file), and back. */
  const breakStateDir = async (): Promise<void> => {
    await rm(stateDir, { recursive: true, force: true });
    await writeFile(stateDir, 'not a folder');
  };
  const restoreStateDir = async (): Promise<void> => {
    await rm(stateDir, { force: true });
    await mkdir(stateDir);
  };

  test('lands by itself once the state dir is usable again: one error line per streak, 1 s doubling, an info line on recovery', async () => {
    const { inventory, sink, clock } = anInventory();
    await inventory.load();
    await breakStateDir();
    inventory.set(anInventoryEntry());
    const failed = await sink.waitFor('inventory write failed');
    expect(failed).toMatchObject({ level: 'error', attempt: 1, retryInMs: 1000, err: expect.objectContaining({ code: 'ERR_INVENTORY_IO' }) });
    expect(clock.pending).toBe(1);

    clock.advance(1000); // the first retry fails too: a debug line, the next in 2 s
    expect(await sink.waitFor('inventory write retry failed')).toMatchObject({ level: 'debug', attempt: 2, retryInMs: 2000 });
    expect(inventory.writes).toBe(0);

    await restoreStateDir();
    clock.advance(1999);
    expect(clock.pending).toBe(1); // not due yet
    clock.advance(1);
    expect(await sink.waitFor('inventory write recovered')).toMatchObject({ level: 'info', attempt: 2 });
    expect(inventory.writes).toBe(1);
    expect(JSON.parse(await readFile(join(stateDir, 'inventory.json'), 'utf8'))).toEqual({ version: 1, entries: { 'web-1': anInventoryEntry() } });
    expect(sink.lines.filter((l) => l.msg === 'inventory write failed')).toHaveLength(1);
    expect(clock.pending).toBe(0);

    // a new streak logs its own error line and starts again at 1 s
    await breakStateDir();
    inventory.delete('web-1');
    expect(await sink.waitFor('inventory write failed', 2)).toMatchObject({ attempt: 1, retryInMs: 1000 });
  });

  test('the delay is capped at 30 s', async () => {
    const { inventory, sink, clock } = anInventory();
    await inventory.load();
    await breakStateDir();
    inventory.set(anInventoryEntry());
    await sink.waitFor('inventory write failed');
    const delays = [1000];
    for (let n = 1; n <= 6; n++) {
      clock.advance(delays[delays.length - 1]!);
      delays.push(Number((await sink.waitFor('inventory write retry failed', n)).retryInMs));
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    inventory.stop();
  });

  test('a successful flush clears the timer; stop() clears it and schedules no more', async () => {
    const { inventory, sink, clock } = anInventory();
    await inventory.load();
    await breakStateDir();
    inventory.set(anInventoryEntry());
    await sink.waitFor('inventory write failed');
    await restoreStateDir();
    await inventory.flush();
    expect(await sink.waitFor('inventory write recovered')).toMatchObject({ attempt: 1 });
    expect(clock.pending).toBe(0);

    await breakStateDir();
    inventory.set(anInventoryEntry({ restartToken: 't2' }));
    await sink.waitFor('inventory write failed', 2);
    expect(clock.pending).toBe(1);
    inventory.stop();
    expect(clock.pending).toBe(0);
    inventory.set(anInventoryEntry({ restartToken: 't3' }));
    await expect(inventory.flush()).rejects.toMatchObject({ code: 'ERR_INVENTORY_IO' });
    expect(clock.pending).toBe(0);
  });
});
