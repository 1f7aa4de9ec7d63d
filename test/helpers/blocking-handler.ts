import type { WorkHandler } from '../../src/controller/keyed-queue.js';

/** One handler call the test has not finished yet. */
export type BlockedPass = { key: string; signal: AbortSignal; release: () => void; fail: (error: unknown) => void };

/**
 * A queue handler that blocks until the test releases each pass. `next()` resolves on the next handler
 * call, so tests wait for events, never for time. An aborted signal releases the pass.
 */
export class BlockingHandler {
  readonly calls: BlockedPass[] = [];
  readonly running = new Map<string, number>();
  maxPerKey = 0;
  maxTotal = 0;
  readonly #waiters: Array<(call: BlockedPass) => void> = [];
  readonly #seen = new Set<BlockedPass>();

  readonly handle: WorkHandler = (key, signal) =>
    new Promise<void>((resolve, reject) => {
      const count = (this.running.get(key) ?? 0) + 1;
      this.running.set(key, count);
      this.maxPerKey = Math.max(this.maxPerKey, count);
      this.maxTotal = Math.max(this.maxTotal, [...this.running.values()].reduce((a, b) => a + b, 0));
      const done = (): void => {
        this.running.set(key, (this.running.get(key) ?? 1) - 1);
      };
      const call: BlockedPass = {
        key,
        signal,
        release: () => {
          done();
          resolve();
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      signal.addEventListener('abort', () => call.release(), { once: true });
      this.calls.push(call);
      this.#waiters.shift()?.(call);
    });

  /** The next handler call (already made, or the coming one). */
  next(): Promise<BlockedPass> {
    const pending = this.calls.find((c) => !this.#seen.has(c));
    if (pending !== undefined) {
      this.#seen.add(pending);
      return Promise.resolve(pending);
    }
    return new Promise((resolve) => {
      this.#waiters.push((call) => {
        this.#seen.add(call);
        resolve(call);
      });
    });
  }

  /** The keys of every call so far, in call order. */
  keys(): string[] {
    return this.calls.map((c) => c.key);
  }
}

/** Lets queued promise callbacks run (p-queue starts tasks asynchronously). Not a sleep: no time passes. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolves when the queue reports no key waiting or running, checking after each turn of the event
 * loop (no time passes on any clock). A queue that never goes idle fails the test by its timeout.
 */
export async function untilIdle(queue: Readonly<{ stats(): Readonly<{ depth: number; processing: number }> }>): Promise<void> {
  for (;;) {
    const { depth, processing } = queue.stats();
    if (depth === 0 && processing === 0) return;
    await settle();
  }
}
