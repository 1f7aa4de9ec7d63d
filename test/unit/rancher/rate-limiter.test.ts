import { describe, expect, it, test } from '@jest/globals';
import { aimdDecrease, aimdIncrease, RateLimiter, spacingFor } from '../../../src/rancher/rate-limiter.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('AIMD math', () => {
  test.each<[string, number, number, number]>([
    ['halves the concurrency', 8, 1, 4],
    ['rounds down', 5, 1, 2],
    ['never goes below the floor', 1, 1, 1],
    ['respects a higher floor', 4, 3, 3],
  ])('decrease %s', (_rule, current, min, expected) => expect(aimdDecrease(current, min)).toBe(expected));

  test.each<[string, number, number, number, { concurrency: number; streak: number }]>([
    ['counts a success without growing inside the window', 4, 0, 8, { concurrency: 4, streak: 1 }],
    ['grows by one after a full window of successes', 4, 3, 8, { concurrency: 5, streak: 0 }],
    ['from 1, one success is a full window', 1, 0, 8, { concurrency: 2, streak: 0 }],
    ['never grows above the maximum', 8, 7, 8, { concurrency: 8, streak: 0 }],
  ])('increase %s', (_rule, current, streak, max, expected) => expect(aimdIncrease(current, streak, max)).toEqual(expected));

  test.each<[string, number, number | undefined]>([
    ['200 qps spaces starts 5.1 ms apart (2 % margin)', 200, 1000 / 196],
    ['a fractional budget spaces single calls seconds apart', 0.5, 1000 / 0.49],
    ['0 means unlimited', 0, undefined],
    ['Infinity means unlimited', Infinity, undefined],
  ])('spacingFor: %s', (_rule, qps, expected) => {
    const spacing = spacingFor(qps);
    if (expected === undefined) expect(spacing).toBeUndefined();
    else expect(spacing).toBeCloseTo(expected, 9);
  });
});

describe('RateLimiter', () => {
  it('pauses every caller for Retry-After and resumes when the clock passes it', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 0, concurrency: 4 }, clock });
    limiter.throttled(1000);
    expect(limiter.stats()).toMatchObject({ paused: true, throttledTotal: 1, currentConcurrency: 2 });
    let ran = false;
    const task = limiter.schedule(async () => {
      ran = true;
      return 'done';
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    clock.advance(999);
    await Promise.resolve();
    expect(ran).toBe(false);
    clock.advance(1);
    await expect(task).resolves.toBe('done');
    expect(limiter.stats().paused).toBe(false);
    limiter.close();
  });

  it('spaces request starts evenly instead of bursting at the top of each second', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 99, concurrency: 8 }, clock });
    const starts: number[] = [];
    const t0 = clock.now();
    const tasks = Array.from({ length: 5 }, () => limiter.schedule(async () => void starts.push(clock.now() - t0)));
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    await settle();
    expect(starts).toEqual([0]);
    // microtasks run after advance() returns, so each start lands on a 5 ms step at or after its slot
    for (let i = 0; i < 40 && starts.length < 5; i++) {
      clock.advance(5);
      await settle();
    }
    await Promise.all(tasks);
    // 99 qps with the 2 % margin: one start every 1000 / 97.02 ms
    const spacing = 1000 / 97.02;
    expect(starts).toHaveLength(5);
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(spacing - 1e-9);
    limiter.close();
  });

  it('never runs a call abandoned while it waited for its slot, and gives its slot to the next one', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 1, concurrency: 4 }, clock });
    const ran: string[] = [];
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    await limiter.schedule(async () => void ran.push('first'));
    const firstAt = clock.now();
    let thirdAt = 0;
    const abandoned = new AbortController();
    const second = limiter.schedule(async () => void ran.push('abandoned'), abandoned.signal);
    second.catch(() => undefined);
    await settle();
    abandoned.abort(new Error('caller gave up'));
    await expect(second).rejects.toThrow('caller gave up');
    const third = limiter.schedule(async () => {
      thirdAt = clock.now();
      ran.push('third');
    });
    // the third call waits one spacing after the first start, not two
    for (let i = 0; i < 30 && ran.length < 2; i++) {
      clock.advance(50);
      await settle();
    }
    await third;
    expect(ran).toEqual(['first', 'third']);
    // one spacing (1000 / 0.98 ms) after the first start, give or take one 50 ms step: not two spacings
    expect(thirdAt - firstAt).toBeLessThan(1100);
    limiter.close();
  });

  it('extends a pause with a longer Retry-After but never shortens it', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 0, concurrency: 4 }, clock });
    limiter.throttled(2000);
    limiter.throttled(500);
    expect(limiter.stats().pausedUntilMs).toBe(clock.now() + 2000);
    limiter.throttled(3000);
    expect(limiter.stats().pausedUntilMs).toBe(clock.now() + 3000);
    clock.advance(2000);
    expect(limiter.stats().paused).toBe(true);
    clock.advance(1000);
    expect(limiter.stats().paused).toBe(false);
    limiter.close();
  });

  it('caps a pause at maxPauseMs', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 0, concurrency: 2, maxPauseMs: 5000 }, clock });
    limiter.throttled(3_600_000);
    expect(limiter.stats().pausedUntilMs).toBe(clock.now() + 5000);
    limiter.close();
  });

  it('decreases once per cooldown however many throttles arrive, then recovers additively', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ options: { qps: 0, concurrency: 8, decreaseCooldownMs: 1000 }, clock });
    for (let i = 0; i < 5; i += 1) limiter.throttled();
    expect(limiter.stats()).toMatchObject({ currentConcurrency: 4, throttledTotal: 5, paused: false });
    clock.advance(1000);
    limiter.throttled();
    expect(limiter.stats().currentConcurrency).toBe(2);
    for (let i = 0; i < 2; i += 1) limiter.succeeded();
    expect(limiter.stats().currentConcurrency).toBe(3);
    for (let i = 0; i < 3 + 4 + 5 + 6 + 7; i += 1) limiter.succeeded();
    expect(limiter.stats().currentConcurrency).toBe(8);
    limiter.succeeded();
    expect(limiter.stats().currentConcurrency).toBe(8);
    limiter.close();
  });

  it('runs no more tasks at once than the current concurrency', async () => {
    const limiter = new RateLimiter({ options: { qps: 0, concurrency: 2 } });
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const tasks = Array.from({ length: 5 }, () =>
      limiter.schedule(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
      }),
    );
    for (let released = 0; released < 5; released += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(2);
      releases.shift()?.();
    }
    await Promise.all(tasks);
    expect(peak).toBe(2);
    limiter.close();
  });
});
