/**
 * The one rate limiter every Rancher HTTP attempt passes through (p-queue underneath), with adaptive
 * back-off: a throttling answer with Retry-After pauses the whole limiter, repeated throttling halves the
 * concurrency (multiplicative decrease) and successes raise it again by one per window (additive increase).
 */
import PQueue from 'p-queue';
import { sleep, systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';

/** Limits and AIMD tuning. `qps` 0 or Infinity means no rate cap. */
export type RateLimiterOptions = Readonly<{
  qps: number;
  concurrency: number;
  /** Floor for the adaptive concurrency; default 1. */
  minConcurrency?: number;
  /** At most one decrease per this many ms, so one burst of 429s counts once; default 1000. */
  decreaseCooldownMs?: number;
  /** Longest pause a Retry-After may cause; default 60 s. */
  maxPauseMs?: number;
}>;

/** Numbers for metrics and tests. */
export type RateLimiterStats = Readonly<{
  paused: boolean;
  pausedUntilMs: number | null;
  currentConcurrency: number;
  maxConcurrency: number;
  throttledTotal: number;
  pending: number;
  running: number;
}>;

/** Multiplicative decrease: half, rounded down, never below `min`. */
export function aimdDecrease(current: number, min: number): number {
  return Math.max(min, Math.floor(current / 2));
}

/**
 * Additive increase: after `current` consecutive successes (one "window"), one more slot, never above
 * `max`. Returns the new concurrency and the new success streak.
 */
export function aimdIncrease(current: number, streak: number, max: number): { concurrency: number; streak: number } {
  if (current >= max) return { concurrency: max, streak: 0 };
  const next = streak + 1;
  return next >= current ? { concurrency: current + 1, streak: 0 } : { concurrency: current, streak: next };
}

/**
 * Share of the qps budget actually used: network and timer jitter move arrivals by a few ms, and the
 * server counts arrivals, so evenly spaced sends at exactly `qps` can still put qps + 1 in some window.
 * 2 % tolerates about 15 ms of jitter at 200 qps.
 */
export const qpsMargin = 0.98;

/**
 * Milliseconds between two request starts for a qps budget; undefined when unlimited. Starts are spaced
 * evenly rather than released in a burst at the top of each second: a server that counts a sliding 1 s
 * window (Rancher behind a proxy, the emulator) then never sees more than `qps` in any window.
 */
export function spacingFor(qps: number): number | undefined {
  if (!(qps > 0) || !Number.isFinite(qps)) return undefined;
  return 1000 / (qps * qpsMargin);
}

/**
 * The process-wide limiter. Construct once in the composition root and hand it to the HTTP client.
 * `schedule` runs one attempt; the caller reports its outcome with `succeeded()` or `throttled()`.
 * `close()` clears the pause timer and drops queued work.
 */
export class RateLimiter {
  readonly #queue: PQueue;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #max: number;
  readonly #min: number;
  readonly #cooldownMs: number;
  readonly #maxPauseMs: number;
  #current: number;
  #streak = 0;
  #throttledTotal = 0;
  #lastDecreaseMs = -Infinity;
  #pausedUntilMs: number | null = null;
  #pauseTimer: TimerHandle | undefined;
  readonly #spacingMs: number | undefined;
  #lastStartMs = -Infinity;
  /** Serialises slot reservations: each start waits for the previous one. */
  #slotChain: Promise<void> = Promise.resolve();
  #resumeWaiters: (() => void)[] = [];

  constructor(deps: Readonly<{ options: RateLimiterOptions; clock?: Clock; log?: Logger }>) {
    const { options } = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log;
    this.#max = Math.max(1, Math.floor(options.concurrency));
    this.#min = Math.min(this.#max, Math.max(1, options.minConcurrency ?? 1));
    this.#cooldownMs = options.decreaseCooldownMs ?? 1000;
    this.#maxPauseMs = options.maxPauseMs ?? 60_000;
    this.#current = this.#max;
    this.#spacingMs = spacingFor(options.qps);
    this.#queue = new PQueue({ concurrency: this.#max });
  }

  /** Runs `task` when a slot is free and the limiter is not paused. Rejects with the signal's reason if aborted while waiting. */
  schedule<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#queue.add(
      async () => {
        await this.#waitForSlot(signal);
        // given up while waiting for its slot: never start it (p-queue has already rejected the caller)
        signal?.throwIfAborted();
        return task();
      },
      signal ? { signal } : {},
    );
  }

  /** Waits for this start's turn: `spacingMs` after the previous start, and never while paused. */
  async #waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    const previous = this.#slotChain;
    let release!: () => void;
    this.#slotChain = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      // an abandoned call does not spend a spacing slot
      if (signal?.aborted) return;
      for (;;) {
        if (this.#pausedUntilMs !== null) await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
        const waitMs = this.#spacingMs === undefined ? 0 : this.#lastStartMs + this.#spacingMs - this.#clock.now();
        // an abort ends the wait early (sleep rejects); it is handled by the check below
        if (waitMs > 0) await sleep(this.#clock, waitMs, signal).catch(() => undefined);
        if (signal?.aborted) return;
        // a pause that began while we slept holds this start too
        if (this.#pausedUntilMs === null) break;
      }
      // spaced from the actual start, so a late timer never lets two starts bunch up
      this.#lastStartMs = this.#clock.now();
    } finally {
      release();
    }
  }

  /** Records a successful attempt (any answer that was not throttling); grows concurrency by AIMD. */
  succeeded(): void {
    const next = aimdIncrease(this.#current, this.#streak, this.#max);
    this.#streak = next.streak;
    if (next.concurrency !== this.#current) this.#setConcurrency(next.concurrency);
  }

  /**
   * Records a throttling answer (429, or 503 with Retry-After). Pauses every caller for `retryAfterMs`
   * (capped; a longer pause extends a shorter one) and halves the concurrency at most once per cooldown.
   */
  throttled(retryAfterMs?: number): void {
    this.#throttledTotal += 1;
    this.#streak = 0;
    const now = this.#clock.now();
    if (now - this.#lastDecreaseMs >= this.#cooldownMs) {
      this.#lastDecreaseMs = now;
      const next = aimdDecrease(this.#current, this.#min);
      if (next !== this.#current) this.#setConcurrency(next);
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.#pauseFor(Math.min(retryAfterMs, this.#maxPauseMs));
  }

  /** Current numbers (paused, concurrency, throttled count, queue sizes). */
  stats(): RateLimiterStats {
    return {
      paused: this.#pausedUntilMs !== null,
      pausedUntilMs: this.#pausedUntilMs,
      currentConcurrency: this.#current,
      maxConcurrency: this.#max,
      throttledTotal: this.#throttledTotal,
      pending: this.#queue.size,
      running: this.#queue.pending,
    };
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }

  /** Stops the pause timer and drops queued (not running) work. */
  close(): void {
    if (this.#pauseTimer) this.#clock.clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
    this.#pausedUntilMs = null;
    this.#queue.clear();
    for (const resume of this.#resumeWaiters.splice(0)) resume();
  }

  #setConcurrency(next: number): void {
    this.#log?.debug({ from: this.#current, to: next }, 'rate limiter concurrency changed');
    this.#current = next;
    this.#queue.concurrency = next;
  }

  #pauseFor(ms: number): void {
    const until = this.#clock.now() + ms;
    if (this.#pausedUntilMs !== null && this.#pausedUntilMs >= until) return;
    if (this.#pauseTimer) this.#clock.clearTimeout(this.#pauseTimer);
    if (this.#pausedUntilMs === null) this.#log?.warn({ pauseMs: ms }, 'rate limiter paused');
    this.#pausedUntilMs = until;
    this.#queue.pause();
    this.#pauseTimer = this.#clock.setTimeout(() => {
      this.#pauseTimer = undefined;
      this.#pausedUntilMs = null;
      this.#queue.start();
      for (const resume of this.#resumeWaiters.splice(0)) resume();
    }, ms, { keepAlive: true }); // calls are waiting for it
  }
}
