import type { Clock, TimerHandle } from '../clock.js';

/** Clock timers owned by one emulator, so close() can cancel every pending one. */
export class TimerSet {
  readonly #clock: Clock;
  readonly #pending = new Set<TimerHandle>();

  constructor(deps: { clock: Clock }) {
    this.#clock = deps.clock;
  }

  /** Runs `callback` after `delayMs` on the clock; the returned handle can be passed to {@link cancel}. */
  schedule(callback: () => void, delayMs: number): TimerHandle {
    const handle = this.#clock.setTimeout(() => {
      this.#pending.delete(handle);
      callback();
    }, delayMs);
    this.#pending.add(handle);
    return handle;
  }

  /** Cancels one timer (no-op when it already fired). */
  cancel(handle: TimerHandle): void {
    this.#pending.delete(handle);
    this.#clock.clearTimeout(handle);
  }

  /** Cancels every pending timer. */
  cancelAll(): void {
    for (const handle of this.#pending) this.#clock.clearTimeout(handle);
    this.#pending.clear();
  }
}
