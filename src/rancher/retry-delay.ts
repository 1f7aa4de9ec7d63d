/**
 * How long a Rancher call waits before its next attempt (GET retries in http.ts, verified mutation
 * re-sends in instance-api.ts): a server-given Retry-After wins, capped; otherwise the common
 * {@link backoffDelay} with the request options below. The live cache's first-list retry uses the same
 * options without Retry-After.
 */
import { backoffDelay, type BackoffOptions } from '../backoff.js';

/** Tuning for {@link retryDelayMs}. */
export type RetryDelayOptions = Readonly<{
  /** Longest delay before the second attempt; each delay is drawn from [d/2, d] ("equal jitter"). */
  baseMs: number;
  /** Ceiling for the exponential delay `d`. */
  maxMs: number;
  /** Ceiling for a server-requested Retry-After delay (a broken proxy must not stall us for hours). */
  maxRetryAfterMs: number;
}>;

/** Defaults: 200 ms doubling to 5 s; Retry-After honoured up to 60 s. */
export const defaultRetryDelayOptions: RetryDelayOptions = Object.freeze({ baseMs: 200, maxMs: 5_000, maxRetryAfterMs: 60_000 });

/**
 * The request delay range, [d/2, d] ("equal jitter"), in the common backoff options: a uniform draw
 * from [d/2, d] is the same draw as ±1/3 around 3d/4, so below the cap each attempt has exactly that
 * range. At the cap the common formula caps the centre and the result at the same `maxMs` (the work
 * queue's cap needs that), which equal jitter cannot be written as: the longest delay stays `maxMs`,
 * but the shortest is between maxMs/2 and 2·maxMs/3 instead of maxMs/2 (defaults: 3.2 s before the
 * seventh attempt, 3.33 s from the eighth on, instead of 2.5 s). A base above the cap counts as the cap.
 */
export function requestRetryBackoffFor(options: Pick<RetryDelayOptions, 'baseMs' | 'maxMs'>): BackoffOptions {
  const maxMs = Math.max(0, options.maxMs);
  return Object.freeze({ baseMs: Math.min(maxMs, Math.max(0, options.baseMs) * 0.75), maxMs, factor: 2, jitter: 1 / 3 });
}

/** Request retries with the default options: delays in [100, 200] ms, doubling, at most 5 s. */
export const requestRetryBackoff: BackoffOptions = requestRetryBackoffFor(defaultRetryDelayOptions);

/**
 * The delay before attempt `attempt + 1`, where `attempt` (>= 1) is the number of attempts made so far.
 * A server-requested `retryAfterMs` wins (capped at `maxRetryAfterMs`). Otherwise the delay is drawn
 * from [d/2, d] with `d = min(maxMs, baseMs · 2^(attempt-1))` (see {@link requestRetryBackoffFor} for the
 * one difference at the cap). `random` returns [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: RetryDelayOptions = defaultRetryDelayOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxRetryAfterMs);
  return backoffDelay(attempt - 1, requestRetryBackoffFor(options), random);
}
