/**
 * The keyed, deduplicating ("stingy") work queue of client-go, rewritten for promises on top of p-queue.
 * It holds keys, never objects: a key waits at most once, runs in at most one worker, and gets exactly one
 * more pass when it is re-added while running. Delays (addAfter, per-key backoff) use the injected Clock.
 */
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError } from '../errors.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** Runs one pass for `key`. `signal` aborts when the queue is shut down without drain. */
export type WorkHandler = (key: string, signal: AbortSignal) => Promise<void>;

export type WorkQueueDeps = Readonly<{
  clock: Clock;
  handler: WorkHandler;
  /** Passes running at once, across keys. Default 4. */
  concurrency?: number;
  /** Per-key backoff for addRateLimited; see backoffDelay. */
  backoff?: BackoffOptions;
  /** Random source for jitter, [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Called when the handler throws (it should not: the controller turns outcomes into queue calls).
   * The key is then retried with backoff so that nothing is lost.
   */
  onError?: (key: string, error: Error) => void;
}>;

/** Counters for metrics: `rancher_reconciler_queue_depth`, `..._queue_retries_total`. */
export type WorkQueueStats = Readonly<{ depth: number; processing: number; delayed: number; retriesTotal: number }>;

type Delayed = { due: number; handle: TimerHandle };

/**
 * Keyed work queue. Methods never throw and are no-ops after shutdown.
 * @example
 * const queue = new WorkQueue({ clock, handler: (key, signal) => reconcile(key, signal), concurrency: 4 });
 * queue.add('web-1');
 * await queue.shutdown({ drain: true });
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #handler: WorkHandler;
  readonly #backoff: BackoffOptions;
  readonly #random: () => number;
  readonly #onError: ((key: string, error: Error) => void) | undefined;
  readonly #pq: PQueue;
  readonly #abort = new AbortController();
  /** Keys waiting for a pass (scheduled on p-queue, or to be rescheduled when their running pass ends). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, Delayed>();
  readonly #failures = new Map<string, number>();
  #retriesTotal = 0;
  #closed = false;
  #draining = true;

  constructor(deps: WorkQueueDeps) {
    this.#clock = deps.clock;
    this.#handler = deps.handler;
    this.#backoff = deps.backoff ?? {};
    this.#random = deps.random ?? Math.random;
    this.#onError = deps.onError;
    this.#pq = new PQueue({ concurrency: deps.concurrency ?? 4 });
    // Every in-flight API call of every running pass listens on this one signal: not a leak.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Queues a pass for `key`: merged if it is already waiting; one more pass after the current one if running. */
  add(key: string): void {
    if (this.#closed || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    // A running key is rescheduled by #run when its pass ends: never two workers on one key.
    if (!this.#processing.has(key)) this.#schedule(key);
  }

  /** Adds `key` after `delayMs` on the clock. The earliest pending delay wins; `delayMs <= 0` adds now. */
  addAfter(key: string, delayMs: number): void {
    if (this.#closed) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const due = this.#clock.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing !== undefined) {
      if (existing.due <= due) return;
      this.#clock.clearTimeout(existing.handle);
    }
    const handle = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { due, handle });
  }

  /** Retries `key` after its backoff delay (attempt = failures so far), then counts one more failure. */
  addRateLimited(key: string): void {
    if (this.#closed) return;
    const attempt = this.failures(key);
    this.#failures.set(key, attempt + 1);
    this.#retriesTotal++;
    this.addAfter(key, backoffDelay(attempt, this.#backoff, this.#random));
  }

  /** Resets the key's failure count (call on success). Pending delays are kept. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Drops a pending delayed add of `key` (a pass found it in sync: no need to look again). */
  cancelDelayed(key: string): void {
    const delayed = this.#delayed.get(key);
    if (delayed === undefined) return;
    this.#clock.clearTimeout(delayed.handle);
    this.#delayed.delete(key);
  }

  /** Failures counted by addRateLimited since the last forget. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** When a delayed add of `key` is due (epoch ms), for status `nextRetryAt`; undefined when none. */
  nextRunAt(key: string): number | undefined {
    return this.#delayed.get(key)?.due;
  }

  /** Keys waiting for a pass (not counting delayed ones). Like client-go's Len(), a snapshot: do not poll it to decide. */
  get depth(): number {
    return this.#dirty.size;
  }

  /** Same as {@link depth}. */
  len(): number {
    return this.#dirty.size;
  }

  /** Counters for metrics. */
  stats(): WorkQueueStats {
    return { depth: this.#dirty.size, processing: this.#processing.size, delayed: this.#delayed.size, retriesTotal: this.#retriesTotal };
  }

  /** Resolves when no key is waiting or running (delayed keys do not count). */
  async onIdle(): Promise<void> {
    while (this.#dirty.size > 0 || this.#processing.size > 0) await this.#pq.onIdle();
  }

  /**
   * Stops intake (add/addAfter/addRateLimited become no-ops) and drops delayed adds. With `drain` (the
   * default) waiting keys still run and running passes finish; without it waiting keys are dropped and
   * running handlers see their signal aborted, unless `abortRunning: false` lets them finish. Resolves
   * when nothing runs any more. A later call without drain escalates a gentler shutdown.
   */
  async shutdown(options: Readonly<{ drain?: boolean; abortRunning?: boolean }> = {}): Promise<void> {
    const drain = options.drain ?? true;
    this.#closed = true;
    for (const { handle } of this.#delayed.values()) this.#clock.clearTimeout(handle);
    this.#delayed.clear();
    if (!drain) {
      this.#draining = false;
      this.#dirty.clear();
      this.#pq.clear();
      // `abortRunning: false` lets running passes finish their call: a graceful stop
      if (options.abortRunning ?? true) this.#abort.abort();
    }
    await this.onIdle();
  }

  #schedule(key: string): void {
    // p-queue's promise settles when #run does; #run never rejects.
    void this.#pq.add(() => this.#run(key));
  }

  async #run(key: string): Promise<void> {
    // Dropped by a shutdown without drain while it sat in p-queue.
    if (!this.#dirty.delete(key)) return;
    this.#processing.add(key);
    try {
      await this.#handler(key, this.#abort.signal);
    } catch (e: unknown) {
      const error = coerceError(e);
      this.#onError?.(key, error);
      this.addRateLimited(key);
    } finally {
      this.#processing.delete(key);
      // Added while running: exactly one more pass (also while draining).
      if (this.#dirty.has(key) && (!this.#closed || this.#draining)) this.#schedule(key);
      else this.#dirty.delete(key);
    }
  }
}
