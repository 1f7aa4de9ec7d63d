/**
 * The leader elector on an in-memory store and a manual clock: it takes and renews the lease, steps
 * down by itself at the renew deadline while the store hangs, refuses to mutate after a freeze (the
 * monotonic clock jumped while no timer ran), hands over on release, and only reads while it may not
 * campaign.
 */
import { describe, expect, test } from '@jest/globals';
import { LeaderElector, type ElectorDeps } from '../../../src/leader/elector.js';
import type { LeaseHolder } from '../../../src/state/state-store.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { MemoryState } from '../../helpers/memory-state.js';
import { captureLogger } from '../../helpers/log-sink.js';

const timings = { leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Lets the elector's awaited store calls settle. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function setup(overrides: Partial<ElectorDeps> = {}, shared?: { clock: ManualClock; state: MemoryState }) {
  const clock = shared?.clock ?? new ManualClock();
  const state = shared?.state ?? new MemoryState(clock);
  let monotonic = 0;
  const started: LeaseHolder[] = [];
  const stopped: string[] = [];
  const elector = new LeaderElector({
    state, replica: 'r1', timings, clock, log: captureLogger().log,
    monotonic: () => monotonic + clock.now(),
    onStartedLeading: (fence) => started.push(fence),
    onStoppedLeading: (reason) => stopped.push(reason),
    ...overrides,
  });
  /** A freeze: monotonic time jumps, no timer runs (SIGSTOP, then SIGCONT before the loop wakes). */
  const freeze = (ms: number): void => {
    monotonic += ms;
  };
  /** Moves both clocks and lets the store calls answer. */
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 500) {
      clock.advance(Math.min(500, left));
      await settle();
    }
  };
  return { clock, state, elector, started, stopped, freeze, advance };
}

describe('LeaderElector', () => {
  test('takes a free lease at once and renews it every retry period with the same epoch', async () => {
    const { elector, state, started, stopped, advance } = setup();
    elector.start();
    await settle();
    expect(started).toEqual([{ holder: 'r1', epoch: 1 }]);
    expect(elector.mayMutate()).toBe(true);
    expect(elector.fence()).toEqual({ holder: 'r1', epoch: 1 });
    await advance(20_000);
    expect(state.calls.filter((c) => c === 'tryAcquireOrRenew')).toHaveLength(11);
    expect(started).toHaveLength(1);
    expect(stopped).toEqual([]);
    expect(elector.status()).toMatchObject({ role: 'leader', replica: 'r1', leader: 'r1', epoch: 1, error: null });
  });

  test('a store that hangs: the leader steps down at the renew deadline, not later', async () => {
    const { elector, state, stopped, advance } = setup();
    elector.start();
    await settle();
    state.fault = 'hang';
    await advance(2_000); // the renewal at 2 s never answers
    await advance(7_500);
    expect(elector.mayMutate()).toBe(true); // 9.5 s after the last successful renewal was sent
    await advance(500);
    expect(elector.mayMutate()).toBe(false);
    expect(stopped).toEqual(['lease not renewed within 10000 ms']);
    expect(elector.role).toBe('standby');
    // the hung calls are given up after half the renew deadline: the loop goes on once the store answers
    state.fault = undefined;
    await advance(8_000);
    expect(elector.role).toBe('leader');
    expect(elector.fence()).toEqual({ holder: 'r1', epoch: 2 });
  });

  test('a store that fails: the leader keeps trying, and steps down at the deadline with the error shown', async () => {
    const { elector, state, stopped, advance } = setup();
    elector.start();
    await settle();
    state.fault = 'fail';
    await advance(10_000);
    expect(stopped).toHaveLength(1);
    expect(elector.status().error).toBe('memory store: unreachable');
    state.fault = undefined;
    await advance(2_000);
    expect(elector.role).toBe('leader'); // its own lease had not expired: renewed, same epoch
    expect(elector.fence()?.epoch).toBe(1);
  });

  test('a freeze past the renew deadline: no mutation is allowed on resume, before any timer runs', async () => {
    const { elector, freeze } = setup();
    elector.start();
    await settle();
    freeze(30_000);
    expect(elector.mayMutate()).toBe(false);
    expect(elector.fence()).toBeUndefined();
  });

  test('another replica holds the lease: standby, reporting who leads; it takes over after expiry with a higher epoch', async () => {
    const clock = new ManualClock();
    const state = new MemoryState(clock);
    // r2 took the lease and then died: it never renews
    state.epoch = 1;
    state.lease = { holder: 'r2', epoch: 1, expiresAt: clock.now() + timings.leaseMs };
    const { elector, started, advance } = setup({}, { clock, state });
    elector.start();
    await settle();
    expect(elector.role).toBe('standby');
    expect(elector.status()).toMatchObject({ leader: 'r2', epoch: 1 });
    expect(elector.mayMutate()).toBe(false);
    await advance(14_000);
    expect(started).toEqual([]);
    await advance(2_000);
    expect(started).toEqual([{ holder: 'r1', epoch: 2 }]);
  });

  test('stop releases the lease: the standby, reading who leads every quarter retry period, takes it within 0.5 s', async () => {
    const clock = new ManualClock();
    const state = new MemoryState(clock);
    const first = setup({}, { clock, state });
    first.elector.start();
    await settle();
    const second = setup({ replica: 'r2' }, { clock, state });
    second.elector.start();
    await settle();
    await second.advance(3_000); // past its first full attempt: from now on it reads between attempts
    await first.elector.stop();
    expect(first.elector.role).toBe('standby');
    await second.advance(500);
    expect(second.started).toEqual([{ holder: 'r2', epoch: 2 }]);
  });

  test('while it may not campaign it only reads who leads', async () => {
    const { elector, state, started } = setup({ mayCampaign: () => false });
    elector.start();
    await settle();
    expect(started).toEqual([]);
    expect(state.calls).toEqual(['readLease']);
    expect(elector.status().leader).toBeNull();
  });
});
