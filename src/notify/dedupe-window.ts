/**
 * Duplicate suppression for one provider: an event whose key was admitted less than `windowMs` ago is
 * a duplicate. The window runs from the last *admitted* event, so a condition that repeats every
 * minute is told once per window, not once and then never again. Memory is bounded: expired keys are
 * swept once the map grows, and past `maxKeys` the oldest are forgotten even inside their window (a
 * flood of distinct messages then lets an old one through early, rather than growing without end).
 */
const sweepAbove = 1000;
const maxKeys = 10_000;

export class DedupeWindow {
  readonly #windowMs: number;
  readonly #admittedAt = new Map<string, number>();
  /** The size that triggers the next sweep: twice the size after the last one, so sweeps cost O(1) per admit. */
  #sweepAt = sweepAbove;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Whether `key` may go out at `nowMs`; records it when it may. */
  admit(key: string, nowMs: number): boolean {
    const last = this.#admittedAt.get(key);
    if (last !== undefined && nowMs - last < this.#windowMs) return false;
    // re-inserted, so that insertion order stays admission order
    this.#admittedAt.delete(key);
    this.#admittedAt.set(key, nowMs);
    if (this.#admittedAt.size > this.#sweepAt) this.#sweep(nowMs);
    return true;
  }

  #sweep(nowMs: number): void {
    // oldest first: stop at the first live key once at most half the cap is held
    for (const [key, at] of this.#admittedAt) {
      if (nowMs - at < this.#windowMs && this.#admittedAt.size <= maxKeys / 2) break;
      this.#admittedAt.delete(key);
    }
    this.#sweepAt = Math.min(maxKeys, Math.max(sweepAbove, this.#admittedAt.size * 2));
  }
}
