/**
 * The state store contract (src/state/state-store.ts): one jest suite that every backend (file, mysql,
 * etcd) must pass against a real engine. A backend's test file starts its engine and calls, at the top
 * level of the file:
 *
 *   await stateStoreContract('mysql', async () => ({ createStore: () => createMysqlStore(...), ... }));
 *
 * It must be awaited: jest only collects tests defined while the file loads, and the suite decides
 * between running and skipping only once `setup` has answered. When `setup` answers `{ unavailable }`
 * (the engine is not installed) every test is defined as skipped and a console warning names the reason,
 * so the run says so in its skipped count; it never passes silently.
 *
 * Each test uses fresh environment and member names, so tests do not depend on each other or on order.
 * Lease waits poll the store with generous deadlines (a loaded machine is slow); nothing asserts tight
 * wall-clock bounds.
 */
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import type { StateStore } from '../../../src/state/state-store.js';
import { until } from '../../helpers/until.js';
import { entry, expectCode, Harness, longLeaseMs, sorted, waitMs, type ContractTarget, type TestFn } from './contract-harness.js';
import { defineFenceTests, defineLeaseTests } from './contract-leases.js';

export type { ContractTarget } from './contract-harness.js';

/**
 * Defines the contract's tests for backend `name` (see the file doc). Resolves once they are defined:
 * await it at the top level of the test file.
 */
export async function stateStoreContract(name: string, setup: () => Promise<ContractTarget | { unavailable: string }>): Promise<void> {
  const found = await setup();
  if ('unavailable' in found) console.warn(`${name} state store contract tests skipped: ${found.unavailable}`);
  const target = 'unavailable' in found ? undefined : found;
  const elects = target === undefined ? false : await probeElects(target);
  describe(`${name} state store contract`, () => {
    defineContract(target, elects);
  });
}

/** Whether the backend elects, read from a store that is never opened. */
async function probeElects(target: ContractTarget): Promise<boolean> {
  const probe = target.createStore();
  await probe.close();
  return probe.elects;
}

/** Stands in for `test` where a backend has nothing to test (not a skip: nothing is missing). */
const notDefined = (..._args: unknown[]): void => undefined;

function defineContract(target: ContractTarget | undefined, elects: boolean): void {
  const harness = target === undefined ? undefined : new Harness(target);
  const h = (): Harness => harness!;
  const it = harness === undefined ? test.skip : test;

  afterEach(async () => {
    await harness?.closeAll();
  });
  afterAll(async () => {
    await harness?.target.cleanup?.();
  });

  describe('records', () => {
    defineRecordTests(it, h);
  });
  // a backend that does not elect (file: one process per state dir, the state lock) has no leases to test
  // beyond refusing them; its lease tests are not defined rather than shown as skipped
  if (elects || target === undefined) {
    describe('fenced writes', () => {
      defineFenceTests(it, h, elects);
    });
    describe('leases', () => {
      defineLeaseTests(it, h, elects);
    });
  } else {
    it('a backend that does not elect refuses leases as a programming error', async () => {
      const { state } = await h().freshEnv();
      await expect(state.tryAcquireOrRenew('r1', longLeaseMs)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
      await expect(state.readLease()).resolves.toBeUndefined();
    });
  }
  describe('membership', () => {
    defineMembershipTests(it, h, elects, target);
  });
  describe('read-only and schema', () => {
    defineReadOnlyTests(it, h, target, elects);
  });
}

function defineRecordTests(it: TestFn, h: () => Harness): void {
  it('a new environment has no records', async () => {
    const { state } = await h().freshEnv();
    expect((await state.loadRecords()).size).toBe(0);
  });

  it('puts, replaces and deletes records', async () => {
    const { state } = await h().freshEnv();
    await state.writeRecords({ put: [entry('a'), entry('b'), entry('c')], delete: [] }, undefined);
    expect(sorted(await state.loadRecords())).toEqual([entry('a'), entry('b'), entry('c')]);
    const replaced = entry('b', { id: '1i99', restartToken: 't1', pendingRestart: { token: 't1', startCount: 3 }, recreating: true });
    await state.writeRecords({ put: [replaced], delete: ['c'] }, undefined);
    expect(sorted(await state.loadRecords())).toEqual([entry('a'), replaced]);
    await state.writeRecords({ put: [], delete: ['a', 'b', 'never-there'] }, undefined);
    expect((await state.loadRecords()).size).toBe(0);
  });

  it('an empty change is a no-op', async () => {
    const { state } = await h().freshEnv();
    await state.writeRecords({ put: [entry('a')], delete: [] }, undefined);
    await state.writeRecords({ put: [], delete: [] }, undefined);
    expect([...(await state.loadRecords()).keys()]).toEqual(['a']);
  });

  it('writes and deletes many records at once', async () => {
    const { state } = await h().freshEnv();
    const many = Array.from({ length: 1_200 }, (_, i) => entry(`web-${String(i).padStart(4, '0')}`));
    await state.writeRecords({ put: many, delete: [] }, undefined);
    expect(sorted(await state.loadRecords())).toEqual(many);
    await state.writeRecords({ put: [], delete: many.slice(0, 1_100).map((e) => e.key) }, undefined);
    expect(sorted(await state.loadRecords())).toEqual(many.slice(1_100));
  });

  it('keys are case-sensitive and may hold slashes, spaces and unicode', async () => {
    const { state } = await h().freshEnv();
    const keys = ['Web', 'web', 'WEB', 'stack/web', 'stack/web/1', 'café', 'cafe', 'ünïcødé-日本-🚀', 'web ', 'a.b_c-d'];
    await state.writeRecords({ put: keys.map((key) => entry(key)), delete: [] }, undefined);
    const loaded = await state.loadRecords();
    expect([...loaded.keys()].sort()).toEqual([...keys].sort());
    for (const key of keys) expect(loaded.get(key)).toEqual(entry(key));
    await state.writeRecords({ put: [], delete: ['web'] }, undefined);
    expect([...(await state.loadRecords()).keys()].sort()).toEqual(keys.filter((k) => k !== 'web').sort());
  });

  it('environments are isolated from each other', async () => {
    const { store, state } = await h().freshEnv();
    const other = h().env(store, h().fresh('env'));
    await state.writeRecords({ put: [entry('web'), entry('db')], delete: [] }, undefined);
    await other.writeRecords({ put: [entry('web', { id: '1i7' })], delete: [] }, undefined);
    await other.writeRecords({ put: [], delete: ['db'] }, undefined);
    expect(sorted(await state.loadRecords())).toEqual([entry('db'), entry('web')]);
    expect(sorted(await other.loadRecords())).toEqual([entry('web', { id: '1i7' })]);
  });

  it('another replica reads what the first wrote', async () => {
    const { environment, state } = await h().freshEnv();
    await state.writeRecords({ put: [entry('web'), entry('db')], delete: [] }, undefined);
    const replica = h().env(await h().open(), environment);
    expect(sorted(await replica.loadRecords())).toEqual([entry('db'), entry('web')]);
    await replica.writeRecords({ put: [entry('web', { id: '1i5' })], delete: ['db'] }, undefined);
    expect(sorted(await state.loadRecords())).toEqual([entry('web', { id: '1i5' })]);
  });
}

function defineMembershipTests(it: TestFn, h: () => Harness, elects: boolean, target: ContractTarget | undefined): void {
  const ours = (members: string[], run: string): string[] => members.filter((m) => m.startsWith(run));

  it('heartbeat answers the live members, sorted; leave removes one', async () => {
    const store = await h().open();
    const prefix = h().fresh('members');
    if (!elects) {
      expect(await store.heartbeat(`${prefix}-a`, longLeaseMs)).toEqual([`${prefix}-a`]);
      await store.leave(`${prefix}-a`);
      return;
    }
    const replica = await h().open();
    const [b, a, c] = [`${prefix}-b`, `${prefix}-a`, `${prefix}-c`];
    expect(ours(await store.heartbeat(b, longLeaseMs), prefix)).toEqual([b]);
    expect(ours(await replica.heartbeat(a, longLeaseMs), prefix)).toEqual([a, b]);
    const all = await store.heartbeat(c, longLeaseMs);
    expect(all).toEqual([...all].sort());
    expect(ours(all, prefix)).toEqual([a, b, c]);
    expect(ours(await store.heartbeat(b, longLeaseMs), prefix)).toEqual([a, b, c]);
    await replica.leave(a);
    expect(ours(await store.heartbeat(b, longLeaseMs), prefix)).toEqual([b, c]);
    await store.leave(b);
    await store.leave(c);
    await store.leave(`${prefix}-never-there`);
  });

  // the file backend has one member, itself, always
  (elects ? it : target === undefined ? test.skip : notDefined)(
    'a member that stops beating drops out after its ttl',
    async () => {
      const store = await h().open();
      const prefix = h().fresh('members');
      const [stays, goes] = [`${prefix}-stays`, `${prefix}-goes`];
      await store.heartbeat(goes, h().target.shortLeaseMs ?? 1_500);
      await until(
        async () => ours(await store.heartbeat(stays, longLeaseMs), prefix),
        (members) => members.length === 1,
        waitMs,
      ).then((members) => expect(members).toEqual([stays]));
      await store.leave(stays);
    },
    waitMs + 10_000,
  );
}

function defineReadOnlyTests(it: TestFn, h: () => Harness, target: ContractTarget | undefined, elects: boolean): void {
  const readOnly = target?.createReadOnlyStore === undefined ? test.skip : it;
  // the file backend has no store-wide schema: each inventory file carries its format version (inventory.ts)
  const schema = target?.bumpSchemaVersion !== undefined ? it : target !== undefined && !elects ? notDefined : test.skip;

  readOnly('a read-only store loads the records another replica wrote', async () => {
    const { environment, state } = await h().freshEnv();
    await state.writeRecords({ put: [entry('web'), entry('Web')], delete: [] }, undefined);
    const reader = h().env(await h().open(() => h().target.createReadOnlyStore!()), environment);
    expect(sorted(await reader.loadRecords())).toEqual([entry('Web'), entry('web')]);
  });

  readOnly('a read-only store refuses writes with ERR_STATE_STORE_DENIED and writes nothing', async () => {
    const { store, environment, state } = await h().freshEnv();
    await state.writeRecords({ put: [entry('web')], delete: [] }, undefined);
    const readerStore = await h().open(() => h().target.createReadOnlyStore!());
    const reader = h().env(readerStore, environment);
    await expectCode(reader.writeRecords({ put: [entry('db')], delete: ['web'] }, undefined), 'ERR_STATE_STORE_DENIED');
    if (store.elects) {
      await expectCode(reader.tryAcquireOrRenew(h().fresh('holder'), longLeaseMs), 'ERR_STATE_STORE_DENIED');
      expect(await reader.readLease()).toBeUndefined();
    }
    expect([...(await state.loadRecords()).keys()]).toEqual(['web']);
  });

  schema('a store whose schema is newer than this build is refused with ERR_STATE_STORE_SCHEMA', async () => {
    const restore = await h().target.bumpSchemaVersion!();
    try {
      const store = h().target.createStore();
      const error = await expectCode(
        store.open().finally(() => store.close()),
        'ERR_STATE_STORE_SCHEMA',
      );
      expect(error.retryable).toBe(false);
      if (h().target.createReadOnlyStore !== undefined) {
        const reader = h().target.createReadOnlyStore!();
        await expectCode(
          reader.open().finally(() => reader.close()),
          'ERR_STATE_STORE_SCHEMA',
        );
      }
    } finally {
      await restore();
    }
    await h().open(); // usable again once put back
  });
}
