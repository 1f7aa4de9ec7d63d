/**
 * The inventory in store mode (a shared state store, state/state-store.ts) on an in-memory store: a
 * tick's changes go out as one write of only the changed records, carrying the lease; without a lease
 * the write is refused and kept for a retry; a takeover's load replaces memory with the store's records
 * and drops what was refused.
 */
import { describe, expect, test } from '@jest/globals';
import { Inventory } from '../../../src/controller/inventory.js';
import type { LeaseHolder } from '../../../src/state/state-store.js';
import { anInventoryEntry } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemoryState } from '../../helpers/memory-state.js';

const entry = (key: string, id = `1i-${key}`) => anInventoryEntry({ key, name: key, id });

function setup() {
  const clock = new ManualClock();
  const state = new MemoryState(clock);
  const { log, sink } = captureLogger('debug');
  let fence: LeaseHolder | undefined;
  const writes: string[][] = [];
  const writeRecords = state.writeRecords.bind(state);
  state.writeRecords = async (changes, lease) => {
    writes.push([...changes.put.map((e) => `put ${e.key}`), ...changes.delete.map((k) => `delete ${k}`)]);
    return writeRecords(changes, lease);
  };
  const inventory = new Inventory({ stateDir: '/nowhere', clock, log, store: { state, description: 'memory', fence: () => fence } });
  const lead = async (): Promise<void> => {
    const attempt = await state.tryAcquireOrRenew('r1', 60_000);
    fence = attempt.current;
  };
  const standby = (): void => {
    fence = undefined;
  };
  return { clock, state, inventory, writes, sink, lead, standby };
}

describe('Inventory with a state store', () => {
  test('loads the store\'s records, and writes one batch of only the changed ones with the lease', async () => {
    const { state, inventory, writes, lead } = setup();
    state.records.set('a', entry('a'));
    state.records.set('b', entry('b'));
    await lead();
    expect(await inventory.load()).toEqual({ entries: 2 });
    inventory.set(entry('c'));
    inventory.set(entry('a', '1i-new'));
    inventory.delete('b');
    await inventory.flush();
    expect(writes).toEqual([['put c', 'put a', 'delete b']]);
    expect([...state.records.keys()].sort()).toEqual(['a', 'c']);
    expect(state.records.get('a')?.id).toBe('1i-new');
    expect(inventory.path).toBe('memory');
  });

  test('without the lease a write is refused (ERR_STATE_FENCED), kept, and goes out once it leads again', async () => {
    const { clock, state, inventory, sink, lead, standby } = setup();
    await lead();
    await inventory.load();
    standby();
    await expect(inventory.setAndFlush(entry('a'))).rejects.toMatchObject({ code: 'ERR_STATE_FENCED' });
    expect(state.records.size).toBe(0);
    expect(sink.lines.some((l) => l.msg === 'inventory write failed')).toBe(true);
    await lead();
    clock.advance(1_000); // the retry timer
    await inventory.flush();
    expect([...state.records.keys()]).toEqual(['a']);
  });

  test('a stale lease (another replica took over) is fenced by the store itself', async () => {
    const { state, inventory, lead } = setup();
    await lead();
    await inventory.load();
    state.lease = { holder: 'r2', epoch: 7, expiresAt: Number.MAX_SAFE_INTEGER };
    await expect(inventory.setAndFlush(entry('a'))).rejects.toMatchObject({ code: 'ERR_STATE_FENCED' });
    expect(state.records.size).toBe(0);
  });

  test('a takeover\'s load replaces memory with the store and drops the refused changes', async () => {
    const { state, inventory, writes, lead, standby } = setup();
    standby();
    await inventory.load();
    await expect(inventory.setAndFlush(entry('mine'))).rejects.toMatchObject({ code: 'ERR_STATE_FENCED' });
    state.records.set('theirs', entry('theirs')); // what the leader wrote meanwhile
    await lead();
    await inventory.load();
    expect(inventory.entries().map((e) => e.key)).toEqual(['theirs']);
    writes.length = 0;
    await inventory.flush();
    expect(writes).toEqual([]);
  });
});
