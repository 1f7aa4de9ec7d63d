import { describe, expect, test } from '@jest/globals';
import { backoffDelay, type BackoffOptions } from '../../../src/controller/backoff.js';

/** A seeded linear congruential generator: the same sequence every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const mid = (): number => 0.5;
const noJitter: BackoffOptions = { jitter: 0 };

describe('backoffDelay', () => {
  test.each<[string, number, BackoffOptions, () => number, number]>([
    ['starts at the base delay (5 ms by default)', 0, noJitter, mid, 5],
    ['doubles per attempt', 1, noJitter, mid, 10],
    ['keeps doubling', 4, noJitter, mid, 80],
    ['is capped at 60 s by default', 20, noJitter, mid, 60_000],
    ['saturates at the cap for huge attempts', 10_000, noJitter, mid, 60_000],
    ['treats a negative attempt as the first', -3, noJitter, mid, 5],
    ['treats NaN as the first attempt', Number.NaN, noJitter, mid, 5],
    ['honours a custom base, factor and cap', 3, { baseMs: 100, factor: 3, maxMs: 2_000, jitter: 0 }, mid, 2_000],
    ['jitter at random 0.5 leaves the delay unchanged', 3, {}, mid, 40],
    ['jitter at random 0 takes the low edge', 3, { jitter: 0.2 }, () => 0, 32],
    ['jitter never exceeds the cap', 30, { jitter: 0.5 }, () => 0.999, 60_000],
  ])('%s', (_rule, attempt, options, random, expected) => {
    expect(backoffDelay(attempt, options, random)).toBe(expected);
  });

  test('with a seeded random, every delay stays within ±jitter of the exponential and under the cap', () => {
    const random = seeded(42);
    for (let attempt = 0; attempt < 30; attempt++) {
      const raw = Math.min(60_000, 5 * 2 ** attempt);
      for (let i = 0; i < 20; i++) {
        const delay = backoffDelay(attempt, { jitter: 0.2 }, random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(raw * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.min(60_000, Math.ceil(raw * 1.2)));
      }
    }
  });

  test('a seeded random gives the same sequence (deterministic)', () => {
    const a = [0, 1, 2, 3, 4].map((n) => backoffDelay(n, {}, seeded(7)));
    const b = [0, 1, 2, 3, 4].map((n) => backoffDelay(n, {}, seeded(7)));
    expect(a).toEqual(b);
  });

  test.each<[string, BackoffOptions]>([
    ['a negative base', { baseMs: -1 }],
    ['a factor below 1', { factor: 0.5 }],
    ['jitter above 1', { jitter: 1.5 }],
    ['a cap below the base', { baseMs: 10, maxMs: 5 }],
  ])('rejects %s', (_what, options) => {
    expect(() => backoffDelay(0, options, mid)).toThrow(RangeError);
  });
});
