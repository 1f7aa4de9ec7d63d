/**
 * How long to wait before the next attempt of a failed call. Pure (randomness injected), like got's
 * `calculateRetryDelay`.
 */

/** Tuning for {@link retryDelayMs}. */
export type RetryDelayOptions = Readonly<{
  /** Delay before the second attempt, before jitter. */
  baseMs: number;
  /** Ceiling for the exponential delay. */
  maxMs: number;
  /** Ceiling for a server-requested Retry-After delay (a broken proxy must not stall us for hours). */
  maxRetryAfterMs: number;
}>;

/** Defaults: 200 ms doubling to 5 s; Retry-After honoured up to 60 s. */
export const defaultRetryDelayOptions: RetryDelayOptions = { baseMs: 200, maxMs: 5_000, maxRetryAfterMs: 60_000 };

/**
 * The delay before attempt `attempt + 1`, where `attempt` (>= 1) is the number of attempts made so far.
 * A server-requested `retryAfterMs` wins (capped at `maxRetryAfterMs`). Otherwise it is
 * `min(maxMs, baseMs * 2^(attempt-1))` with equal jitter: uniformly in [d/2, d]. `random` returns [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: RetryDelayOptions = defaultRetryDelayOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxRetryAfterMs);
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
