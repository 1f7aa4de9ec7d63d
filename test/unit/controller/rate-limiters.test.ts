import { describe, expect, test } from '@jest/globals';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, queueBackoff, type RateLimiter } from '../../../src/controller/rate-limiters.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const mid = (): number => 0.5;

describe('ItemExponentialRateLimiter', () => {
  test('grows each key on its own, counts its retries, and forget resets one key', () => {
    const limiter = new ItemExponentialRateLimiter({ backoff: { baseMs: 5, maxMs: 40, jitter: 0 } });
    expect([1, 2, 3, 4, 5].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 40]);
    expect([limiter.when('b'), limiter.retries('a'), limiter.retries('b')]).toEqual([5, 5, 1]);
    limiter.forget('a');
    expect([limiter.retries('a'), limiter.retries('b'), limiter.when('a'), limiter.when('b')]).toEqual([0, 1, 5, 10]);
  });

  test('defaults to the queue backoff (5 ms doubling to 60 s, ±20 %) with the given random source', () => {
    const limiter = new ItemExponentialRateLimiter({ random: () => 0 });
    expect(queueBackoff).toEqual({ baseMs: 5, maxMs: 60_000, factor: 2, jitter: 0.2 });
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a')]).toEqual([4, 8, 16]);
  });

  test('a key never seen has no retries, and forgetting it is harmless', () => {
    const limiter = new ItemExponentialRateLimiter({ random: mid });
    limiter.forget('x');
    expect(limiter.retries('x')).toBe(0);
  });
});

describe('BucketRateLimiter', () => {
  test('lets a burst through at once, then spaces calls at qps, for all keys together', () => {
    const clock = new ManualClock();
    const limiter = new BucketRateLimiter({ clock, qps: 10, burst: 2 });
    expect(['a', 'b', 'c', 'a'].map((key) => limiter.when(key))).toEqual([0, 0, 100, 200]);
    expect([limiter.retries('a'), limiter.retries('c')]).toEqual([0, 0]);
  });

  test('refills at qps up to the burst, never beyond', () => {
    const clock = new ManualClock();
    const limiter = new BucketRateLimiter({ clock, qps: 10, burst: 2 });
    limiter.when('a');
    limiter.when('a');
    limiter.when('a'); // one token owed
    clock.advance(150); // 1.5 tokens back: 0.5 left
    expect(limiter.when('a')).toBe(50);
    clock.advance(60_000);
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a')]).toEqual([0, 0, 100]);
  });

  test('forget changes nothing: the bucket is global, not per key', () => {
    const clock = new ManualClock();
    const limiter = new BucketRateLimiter({ clock, qps: 1, burst: 1 });
    limiter.when('a');
    limiter.forget('a');
    expect(limiter.when('a')).toBe(1_000);
  });

  test.each<[string, number, number]>([
    ['zero qps', 0, 1],
    ['infinite qps', Infinity, 1],
    ['a burst below 1', 10, 0],
    ['NaN qps', Number.NaN, 1],
  ])('rejects %s', (_what, qps, burst) => {
    expect(() => new BucketRateLimiter({ clock: new ManualClock(), qps, burst })).toThrow(RangeError);
  });
});

describe('MaxOfRateLimiter', () => {
  /** A limiter that records what it was asked. */
  function recording(delays: number[]): RateLimiter & { asked: string[] } {
    const asked: string[] = [];
    let retries = 0;
    return {
      asked,
      when: (key) => {
        asked.push(`when:${key}`);
        retries++;
        return delays.shift() ?? 0;
      },
      forget: (key) => {
        asked.push(`forget:${key}`);
        retries = 0;
      },
      retries: () => retries,
    };
  }

  test('answers the longest delay and asks every limiter each time, so each keeps counting', () => {
    const a = recording([5, 50, 1]);
    const b = recording([20, 10]);
    const limiter = new MaxOfRateLimiter({ limiters: [a, b] });
    expect([limiter.when('k'), limiter.when('k'), limiter.when('k')]).toEqual([20, 50, 1]);
    expect([a.asked, b.asked]).toEqual([['when:k', 'when:k', 'when:k'], ['when:k', 'when:k', 'when:k']]);
  });

  test('forget goes to every limiter; retries is the largest count', () => {
    const a = recording([]);
    const b = recording([]);
    const limiter = new MaxOfRateLimiter({ limiters: [a, b] });
    a.when('k');
    limiter.when('k');
    expect(limiter.retries('k')).toBe(2);
    limiter.forget('k');
    expect([a.asked.at(-1), b.asked.at(-1), limiter.retries('k')]).toEqual(['forget:k', 'forget:k', 0]);
  });

  test("per-key backoff with a global bucket, as client-go's DefaultControllerRateLimiter combines them", () => {
    const clock = new ManualClock();
    const limiter = new MaxOfRateLimiter({
      limiters: [new ItemExponentialRateLimiter({ backoff: { baseMs: 5, maxMs: 1_000, jitter: 0 } }), new BucketRateLimiter({ clock, qps: 10, burst: 2 })],
    });
    // two tokens: the per-key backoff rules; then the empty bucket does, for every key
    expect([limiter.when('a'), limiter.when('a'), limiter.when('b'), limiter.when('a')]).toEqual([5, 10, 100, 200]);
    expect([limiter.retries('a'), limiter.retries('b')]).toEqual([3, 1]);
    limiter.forget('a');
    clock.advance(60_000);
    expect([limiter.retries('a'), limiter.when('a')]).toEqual([0, 5]);
  });
});
