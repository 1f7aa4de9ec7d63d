/**
 * Retry policies for the work queue's rate-limiting layer, after client-go's workqueue
 * default_rate_limiters.go: a per-key exponential backoff, a global token bucket, and max-of to combine
 * them (client-go's `DefaultControllerRateLimiter` is max-of(per-key 5 ms..1000 s, bucket 10 qps /
 * burst 100)). These pace *retries of keys*; rancher/rate-limiter.ts, which paces HTTP calls, is another
 * thing with a similar name.
 */
import { backoffDelay, defaultBackoff, type BackoffOptions } from '../backoff.js';
import type { Clock } from '../clock.js';

/** How long a key waits before its next retry. Implementations keep their own per-key state. */
export interface RateLimiter {
  /** The delay before `key`'s next retry, ms (>= 0). Counts one more retry of `key`: call it once per retry. */
  when(key: string): number;
  /** Stops tracking `key`: its retries count from 0 again. Call it when a pass of `key` succeeds. */
  forget(key: string): void;
  /** Retries of `key` counted by `when` since the last `forget`. */
  retries(key: string): number;
}

/** The work queue's per-key backoff: 5 ms doubling to 60 s, ±20 % jitter (the common defaults). */
export const queueBackoff: Required<BackoffOptions> = defaultBackoff;

export type ItemExponentialRateLimiterDeps = Readonly<{
  /** Merged over the common defaults (which are {@link queueBackoff}). */
  backoff?: BackoffOptions;
  /** Random source for jitter, [0, 1). Default Math.random. */
  random?: () => number;
}>;

/**
 * Per-key exponential backoff (client-go's `ItemExponentialFailureRateLimiter`): retry n of a key waits
 * `backoffDelay(n, backoff)`. Keys are independent; `forget` resets one. A key that is never forgotten
 * keeps its entry: call `forget` on success, as the work queue's users do.
 */
export class ItemExponentialRateLimiter implements RateLimiter {
  readonly #backoff: BackoffOptions;
  readonly #random: () => number;
  readonly #retries = new Map<string, number>();

  constructor(deps: ItemExponentialRateLimiterDeps = {}) {
    this.#backoff = deps.backoff ?? queueBackoff;
    this.#random = deps.random ?? Math.random;
  }

  when(key: string): number {
    const attempt = this.retries(key);
    this.#retries.set(key, attempt + 1);
    return backoffDelay(attempt, this.#backoff, this.#random);
  }

  forget(key: string): void {
    this.#retries.delete(key);
  }

  retries(key: string): number {
    return this.#retries.get(key) ?? 0;
  }
}

export type BucketRateLimiterDeps = Readonly<{
  clock: Clock;
  /** Tokens added per second (> 0). */
  qps: number;
  /** Tokens the bucket holds at most, and holds at the start (>= 1). */
  burst: number;
}>;

/**
 * One token bucket for all keys (client-go's `BucketRateLimiter`, golang.org/x/time/rate's reservation):
 * each `when` takes a token; when none is left the answer is how long until one is. Tokens may go
 * negative, so a burst of retries is spread out at `qps` rather than refused. It counts no retries:
 * `retries` is always 0 and `forget` does nothing. Throws RangeError for a qps or burst that is not positive.
 */
export class BucketRateLimiter implements RateLimiter {
  readonly #clock: Clock;
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(deps: BucketRateLimiterDeps) {
    if (!(deps.qps > 0) || !Number.isFinite(deps.qps) || !(deps.burst >= 1)) {
      throw new RangeError(`invalid token bucket: qps=${deps.qps} burst=${deps.burst}`);
    }
    this.#clock = deps.clock;
    this.#qps = deps.qps;
    this.#burst = deps.burst;
    this.#tokens = deps.burst;
    this.#lastMs = deps.clock.now();
  }

  when(_key: string): number {
    const now = this.#clock.now();
    // a clock that steps back adds nothing (and takes nothing away)
    const refill = (Math.max(0, now - this.#lastMs) * this.#qps) / 1000;
    this.#tokens = Math.min(this.#burst, this.#tokens + refill) - 1;
    this.#lastMs = Math.max(this.#lastMs, now);
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#qps);
  }

  forget(_key: string): void {}

  retries(_key: string): number {
    return 0;
  }
}

export type MaxOfRateLimiterDeps = Readonly<{ limiters: readonly [RateLimiter, ...RateLimiter[]] }>;

/**
 * The longest delay of several limiters (client-go's `MaxOfRateLimiter`). Every limiter is asked on each
 * `when`, so each keeps counting; `forget` goes to all; `retries` is the largest count.
 * @example
 * // client-go's DefaultControllerRateLimiter
 * new MaxOfRateLimiter({ limiters: [new ItemExponentialRateLimiter({ backoff: { maxMs: 1_000_000 } }), new BucketRateLimiter({ clock, qps: 10, burst: 100 })] });
 */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(deps: MaxOfRateLimiterDeps) {
    this.#limiters = [...deps.limiters];
  }

  when(key: string): number {
    let delay = 0;
    for (const limiter of this.#limiters) delay = Math.max(delay, limiter.when(key));
    return delay;
  }

  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  retries(key: string): number {
    let retries = 0;
    for (const limiter of this.#limiters) retries = Math.max(retries, limiter.retries(key));
    return retries;
  }
}
