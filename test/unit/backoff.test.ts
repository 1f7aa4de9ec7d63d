import { describe, expect, test } from '@jest/globals';
import { backoffDelay, type BackoffOptions } from '../../src/backoff.js';
import { inventoryRetryBackoff } from '../../src/controller/inventory.js';
import { queueBackoff } from '../../src/controller/rate-limiters.js';
import { reconnectBackoff } from '../../src/rancher/event-stream.js';
import { requestRetryBackoff } from '../../src/rancher/retry-delay.js';

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

/** Just under 1: the top of the jitter range (random() returns [0, 1)). */
const top = (): number => 1 - 2 ** -40;

describe("each caller's options", () => {
  test.each<[string, BackoffOptions, number, () => number, number]>([
    ['queue: starts at 5 ms', queueBackoff, 0, mid, 5],
    ['queue: the low edge is 20 % under', queueBackoff, 3, () => 0, 32],
    ['queue: capped at 60 s', queueBackoff, 20, top, 60_000],
    ['request retry: the first delay is at least half the 200 ms base', requestRetryBackoff, 0, () => 0, 100],
    ['request retry: the first delay is at most the base', requestRetryBackoff, 0, top, 200],
    ['request retry: doubles per attempt', requestRetryBackoff, 2, top, 800],
    ['request retry: capped at 5 s', requestRetryBackoff, 19, top, 5_000],
    ['reconnect: starts at 800 ms (jitter low end 0.8)', reconnectBackoff, 0, () => 0, 640],
    ['reconnect: starts at 800 ms (middle draw)', reconnectBackoff, 0, mid, 800],
    ['reconnect: doubles per failure', reconnectBackoff, 2, mid, 3200],
    ['reconnect: capped at 30 s', reconnectBackoff, 10, () => 0.999, 30000],
    ['inventory write: starts at 1 s, whatever the draw', inventoryRetryBackoff, 0, () => 0, 1_000],
    ['inventory write: doubles', inventoryRetryBackoff, 1, top, 2_000],
    ['inventory write: capped at 30 s', inventoryRetryBackoff, 10, mid, 30_000],
  ])('%s', (_rule, options, attempt, random, expected) => {
    expect(backoffDelay(attempt, options, random)).toBe(expected);
  });

  /**
   * The formulas each caller had before it passed options to the common function; the common function
   * must give the same delay for the same draw. Equal jitter (request retries) is the same draw only
   * below its cap: see the next test.
   */
  const before: ReadonlyArray<[string, BackoffOptions, (attempt: number, draw: number) => number, number]> = [
    ['queue (backoffDelay with its defaults)', queueBackoff, (n, r) => Math.round(Math.min(60_000, Math.min(60_000, 5 * 2 ** n) * (0.8 + 0.4 * r))), 30],
    ['reconnect (reconnectDelayMs)', reconnectBackoff, (n, r) => Math.round(Math.min(30_000, Math.min(30_000, 800 * 2 ** n) * (0.8 + 0.4 * r))), 30],
    ['inventory write (no jitter)', inventoryRetryBackoff, (n) => Math.min(30_000, 1_000 * 2 ** n), 30],
    ['request retry (retryDelayMs, equal jitter), below the cap', requestRetryBackoff, (n, r) => Math.round(Math.min(5_000, 200 * 2 ** n) / 2 + (r * Math.min(5_000, 200 * 2 ** n)) / 2), 5],
  ];
  test.each(before)('%s: the same delay for the same seeded draw', (_caller, options, formula, attempts) => {
    const draws = seeded(11);
    for (let attempt = 0; attempt < attempts; attempt++) {
      for (let i = 0; i < 50; i++) {
        const draw = draws();
        expect([attempt, backoffDelay(attempt, options, () => draw)]).toEqual([attempt, formula(attempt, draw)]);
      }
    }
  });

  test('request retry at its cap: the longest delay is still 5 s, the shortest rises from 2.5 s to 3.2 s, then 3.33 s', () => {
    const shortest = [5, 6, 7, 20].map((attempt) => backoffDelay(attempt, requestRetryBackoff, () => 0));
    const longest = [5, 6, 7, 20].map((attempt) => backoffDelay(attempt, requestRetryBackoff, top));
    expect(shortest).toEqual([3_200, 3_333, 3_333, 3_333]);
    expect(longest).toEqual([5_000, 5_000, 5_000, 5_000]);
  });
});
