/**
 * The one backoff formula of the program: capped exponential growth with symmetric jitter, as got's
 * `calculateRetryDelay` and client-go's `ItemExponentialFailureRateLimiter` compute it. Every caller (the
 * work queue, Rancher request retries, the live cache's first list, the inventory writer, the websocket
 * reconnects) passes its own named options object; nothing else differs between them.
 *
 * It lives at the top of `src/`, next to clock.ts, because both `controller/` and `rancher/` use it and
 * neither may import the other. It is pure and dependency-free, so `domain/` could hold it too, but
 * `domain/` describes desired and live state; how long to wait is a policy of the components that wait.
 * Server-given delays (Retry-After) are the caller's business, not this formula's.
 */

/** Backoff settings. Defaults ({@link defaultBackoff}): 5 ms base, doubling, 60 s cap, ±20 % jitter. */
export type BackoffOptions = Readonly<{
  /** Delay of the first retry (attempt 0), before jitter, ms. */
  baseMs?: number;
  /** Upper bound of every delay: of the exponential before jitter, and of the result after it, ms. */
  maxMs?: number;
  /** Growth per attempt (>= 1). */
  factor?: number;
  /** Fraction in [0, 1]: the delay is spread uniformly over [d·(1−jitter), d·(1+jitter)], then capped. */
  jitter?: number;
}>;

/** The defaults, which are the work queue's per-key backoff (client-go's 5 ms base; our cap is 60 s). */
export const defaultBackoff: Required<BackoffOptions> = Object.freeze({ baseMs: 5, maxMs: 60_000, factor: 2, jitter: 0.2 });

/**
 * The delay before retry number `attempt` (0 for the first retry), in whole ms:
 * `d = min(maxMs, baseMs · factor^attempt)`, spread uniformly over `d·(1 ± jitter)` and capped at
 * `maxMs` again, so no delay ever exceeds `maxMs`.
 *
 * A negative or non-finite attempt counts as 0; huge attempts saturate at the cap. `random` returns
 * [0, 1); pass a seeded one in tests. Throws RangeError for options that cannot give a sensible delay
 * (negative base, factor < 1, jitter outside [0, 1], max < base).
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
