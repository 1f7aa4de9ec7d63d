import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inventory } from '../../src/controller/inventory.js';
import { captureLogger } from './log-sink.js';
import { ManualClock } from './manual-clock.js';

/** A loaded Inventory in a fresh temp state dir, on a ManualClock; `cleanup()` flushes and removes it. */
export async function tempInventory(prefix: string): Promise<{ inventory: Inventory; clock: ManualClock; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const clock = new ManualClock();
  const inventory = new Inventory({ stateDir: dir, clock, log: captureLogger().log });
  await inventory.load();
  return {
    inventory,
    clock,
    async cleanup() {
      await inventory.flush();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
