/** Time as a dependency: every component that waits or timestamps takes a Clock, so tests can drive time. */
export type TimerHandle = { readonly id: unknown };

export type TimerOptions = Readonly<{
  /**
   * Keep the process alive while the timer is pending. Default false: background timers of a daemon
   * (resync, pings, retries on a timer) never hold a process open. Something that is awaited (a retry
   * delay inside `plan` or `apply`) must set it, or Node leaves the top-level await (exit 13).
   */
  keepAlive?: boolean;
}>;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Timers are unref'd unless `keepAlive` is set. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs, options) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    if (options?.keepAlive !== true) timer.unref();
    return { id: timer };
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
};

/**
 * Resolves after `delayMs` on the given clock, or rejects with the signal's reason when aborted. The
 * timer keeps the process alive: whoever awaits it is still working.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs, { keepAlive: true });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
