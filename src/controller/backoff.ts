/**
 * Per-key retry delay: capped exponential backoff with jitter (client-go's ItemExponentialFailureRateLimiter
 * plus jitter, got's calculateRetryDelay). Pure: the random source is a parameter.
 */

/** Backoff settings. Defaults: 5 ms base, doubling, 60 s cap, ±20 % jitter. */
export type BackoffOptions = Readonly<{
  /** Delay of the first retry (attempt 0), ms. */
  baseMs?: number;
  /** Upper bound of every delay, jitter included, ms. */
  maxMs?: number;
  /** Growth per attempt (>= 1). */
  factor?: number;
  /** Fraction in [0, 1]: the delay is spread uniformly over [d·(1−jitter), d·(1+jitter)], then capped. */
  jitter?: number;
}>;

export const defaultBackoff: Required<BackoffOptions> = Object.freeze({ baseMs: 5, maxMs: 60_000, factor: 2, jitter: 0.2 });

/**
 * The delay before retry number `attempt` (0 for the first retry), in whole ms:
 * `min(maxMs, baseMs · factor^attempt)` spread by ±jitter and capped at `maxMs` again.
 * A negative or non-finite attempt counts as 0; huge attempts saturate at the cap. `random` returns [0, 1).
 * Throws RangeError for options that cannot give a sensible delay (negative base, factor < 1, jitter
 * outside [0, 1], max < base).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs, maxMs, factor, jitter } = { ...defaultBackoff, ...options };
  if (!(baseMs >= 0) || !(maxMs >= baseMs) || !(factor >= 1) || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`invalid backoff options: baseMs=${baseMs} maxMs=${maxMs} factor=${factor} jitter=${jitter}`);
  }
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const raw = Math.min(maxMs, baseMs * factor ** n);
  const spread = raw * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxMs, Math.max(0, spread)));
}
