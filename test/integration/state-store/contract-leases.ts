/**
 * The contract's lease and fencing tests (./contract.ts): only for backends that elect.
 */
import { expect, test } from '@jest/globals';
import { until } from '../../helpers/until.js';
import { entry, expectCode, leased, longLeaseMs, waitMs, type Harness, type TestFn } from './contract-harness.js';

export function defineFenceTests(it: TestFn, h: () => Harness, elects: boolean): void {
  const fenced = elects ? it : test.skip;

  fenced('a write fenced by the current lease succeeds', async () => {
    const { state, lease } = await leased(h());
    await state.writeRecords({ put: [entry('web')], delete: [] }, lease);
    await state.writeRecords({ put: [entry('db')], delete: ['web'] }, lease);
    expect([...(await state.loadRecords()).keys()]).toEqual(['db']);
  });

  fenced('a write with a stale epoch or another holder is fenced and writes nothing', async () => {
    const { state, lease } = await leased(h());
    await state.writeRecords({ put: [entry('web')], delete: [] }, lease);
    const change = { put: [entry('db')], delete: ['web'] };
    await expectCode(state.writeRecords(change, { holder: lease.holder, epoch: lease.epoch - 1 }), 'ERR_STATE_FENCED');
    await expectCode(state.writeRecords(change, { holder: lease.holder, epoch: lease.epoch + 1 }), 'ERR_STATE_FENCED');
    await expectCode(state.writeRecords(change, { holder: h().fresh('holder'), epoch: lease.epoch }), 'ERR_STATE_FENCED');
    expect([...(await state.loadRecords()).keys()]).toEqual(['web']);
  });

  fenced('a write fenced by a lease nobody ever took is fenced', async () => {
    const { state } = await h().freshEnv();
    await expectCode(state.writeRecords({ put: [entry('web')], delete: [] }, { holder: h().fresh('holder'), epoch: 1 }), 'ERR_STATE_FENCED');
    expect((await state.loadRecords()).size).toBe(0);
  });

  fenced(
    'a write fenced by an expired lease is fenced, also before anyone else takes it',
    async () => {
      const { state, lease } = await leased(h(), h().target.shortLeaseMs ?? 1_500);
      await until(() => state.readLease(), (current) => current === undefined, waitMs);
      await expectCode(state.writeRecords({ put: [entry('web')], delete: [] }, lease), 'ERR_STATE_FENCED');
      expect((await state.loadRecords()).size).toBe(0);
    },
    waitMs + 10_000,
  );

  fenced('a write fenced by a released lease is fenced', async () => {
    const { state, lease } = await leased(h());
    await state.releaseLease(lease);
    await expectCode(state.writeRecords({ put: [entry('web')], delete: [] }, lease), 'ERR_STATE_FENCED');
    expect((await state.loadRecords()).size).toBe(0);
  });
}

export function defineLeaseTests(it: TestFn, h: () => Harness, elects: boolean): void {
  const leaseTest = elects ? it : test.skip;

  leaseTest('a free lease is taken; readLease reports the holder', async () => {
    const { state } = await h().freshEnv();
    expect(await state.readLease()).toBeUndefined();
    const holder = h().fresh('holder');
    const attempt = await state.tryAcquireOrRenew(holder, longLeaseMs);
    expect(attempt).toEqual({ held: true, current: { holder, epoch: expect.any(Number) } });
    expect(await state.readLease()).toEqual(attempt.current);
  });

  leaseTest('replicas racing for a lease: exactly one holds it', async () => {
    const stores = await Promise.all([h().open(), h().open(), h().open()]);
    for (let round = 0; round < 5; round += 1) {
      const environment = h().fresh('env');
      const holders = Array.from({ length: 6 }, () => h().fresh('holder'));
      const attempts = await Promise.all(holders.map((holder, i) => h().env(stores[i % stores.length]!, environment).tryAcquireOrRenew(holder, longLeaseMs)));
      const winners = attempts.filter((a) => a.held);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.current!;
      for (const attempt of attempts) if (!attempt.held) expect(attempt.current === undefined || attempt.current.holder === winner.holder).toBe(true);
      expect(await h().env(stores[0]!, environment).readLease()).toEqual(winner);
    }
  });

  leaseTest('the holder renews with the same epoch; another holder is refused and told who holds it', async () => {
    const { store, environment, state, lease } = await leased(h());
    expect(await state.tryAcquireOrRenew(lease.holder, longLeaseMs)).toEqual({ held: true, current: lease });
    const replica = h().env(await h().open(), environment);
    expect(await replica.tryAcquireOrRenew(h().fresh('holder'), longLeaseMs)).toEqual({ held: false, current: lease });
    expect(await h().env(store, environment).tryAcquireOrRenew(lease.holder, longLeaseMs)).toEqual({ held: true, current: lease });
  });

  leaseTest(
    'an expired lease is taken by another holder with a higher epoch',
    async () => {
      const { environment, state, lease } = await leased(h(), h().target.shortLeaseMs ?? 1_500);
      const replica = h().env(await h().open(), environment);
      const next = h().fresh('holder');
      const taken = await until(
        () => replica.tryAcquireOrRenew(next, longLeaseMs),
        (attempt) => attempt.held,
        waitMs,
      );
      expect(taken.current?.holder).toBe(next);
      expect(taken.current!.epoch).toBeGreaterThan(lease.epoch);
      expect(await state.tryAcquireOrRenew(lease.holder, longLeaseMs)).toEqual({ held: false, current: taken.current });
    },
    waitMs + 10_000,
  );

  leaseTest(
    'a holder whose lease expired takes it again with a new epoch',
    async () => {
      const { state, lease } = await leased(h(), h().target.shortLeaseMs ?? 1_500);
      await until(() => state.readLease(), (current) => current === undefined, waitMs);
      const again = await state.tryAcquireOrRenew(lease.holder, longLeaseMs);
      expect(again.held).toBe(true);
      expect(again.current!.epoch).toBeGreaterThan(lease.epoch);
    },
    waitMs + 10_000,
  );

  leaseTest('release hands over at once; releasing with a stale fence changes nothing', async () => {
    const { environment, state, lease } = await leased(h());
    await state.releaseLease({ holder: lease.holder, epoch: lease.epoch - 1 });
    await state.releaseLease({ holder: h().fresh('holder'), epoch: lease.epoch });
    expect(await state.readLease()).toEqual(lease);
    await state.releaseLease(lease);
    expect(await state.readLease()).toBeUndefined();
    const replica = h().env(await h().open(), environment);
    const next = await replica.tryAcquireOrRenew(h().fresh('holder'), longLeaseMs);
    expect(next.held).toBe(true);
    expect(next.current!.epoch).toBeGreaterThan(lease.epoch);
    await state.releaseLease(lease); // the old holder's second release must not end the new lease
    expect(await replica.readLease()).toEqual(next.current);
  });

  leaseTest('the epoch never goes back, also across a reopen of the store', async () => {
    const { store, environment, state, lease } = await leased(h());
    await state.releaseLease(lease);
    await store.close();
    const reopened = h().env(await h().open(), environment);
    const holder = h().fresh('holder');
    const second = await reopened.tryAcquireOrRenew(holder, longLeaseMs);
    expect(second.current!.epoch).toBeGreaterThan(lease.epoch);
    await reopened.releaseLease(second.current!);
    const third = await reopened.tryAcquireOrRenew(lease.holder, longLeaseMs);
    expect(third.current!.epoch).toBeGreaterThan(second.current!.epoch);
  });

  leaseTest('leases of different environments are independent', async () => {
    const { store, lease } = await leased(h());
    const other = h().env(store, h().fresh('env'));
    expect(await other.readLease()).toBeUndefined();
    const holder = h().fresh('holder');
    expect((await other.tryAcquireOrRenew(holder, longLeaseMs)).held).toBe(true);
    expect(lease.holder).not.toBe(holder);
  });
}
