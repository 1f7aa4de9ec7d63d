/**
 * Runs one task at a time and merges the requests that arrive while it runs into one more run: the
 * manifest watcher's loads and the git source's polls. Each request resolves after a run that started
 * after it. The reason a merged run carries is `merge(pending, next)`'s choice.
 */
export class CoalescedRuns<R> {
  readonly #run: (reason: R) => Promise<void>;
  readonly #merge: (pending: R, next: R) => R;
  #pending: R | undefined;
  #waiters: (() => void)[] = [];
  #loop: Promise<void> | undefined;
  #stopped = false;

  /** `run` must not throw (its failures are its own to report); `merge` picks the reason of a merged run. */
  constructor(run: (reason: R) => Promise<void>, merge: (pending: R, next: R) => R) {
    this.#run = run;
    this.#merge = merge;
  }

  /** Asks for a run; resolves after one that started after this call (at once when stopped). */
  request(reason: R): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#pending = this.#pending === undefined ? reason : this.#merge(this.#pending, reason);
    const done = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#loop ??= this.#drain();
    return done;
  }

  /** No run starts after this; resolves when the one in progress has finished, releasing every waiter. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined && !this.#stopped) {
        const reason = this.#pending;
        const waiters = this.#waiters.splice(0);
        this.#pending = undefined;
        await this.#run(reason);
        for (const waiter of waiters) waiter();
      }
    } finally {
      this.#loop = undefined;
    }
  }
}
