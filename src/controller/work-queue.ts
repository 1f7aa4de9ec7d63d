/**
 * The work queue the controller uses, layered as client-go layers its workqueue: the dedupe/processing
 * queue (keyed-queue.ts) at the bottom, the delaying layer with its one timer (delaying-queue.ts) above
 * it, and on top, here, the rate-limiting layer: `addRateLimited` asks a {@link RateLimiter} how long a
 * key waits before its retry, and `forget` resets it.
 */
import type { Clock } from '../clock.js';
import { DelayingQueue } from './delaying-queue.js';
import { KeyedQueue, type ShutdownOptions, type WorkHandler } from './keyed-queue.js';
import { ItemExponentialRateLimiter, type RateLimiter } from './rate-limiters.js';

export type WorkQueueDeps = Readonly<{
  clock: Clock;
  handler: WorkHandler;
  /** Passes running at once, across keys. Default 4. */
  concurrency?: number;
  /**
   * The retry policy of addRateLimited. Default: per-key exponential backoff with `queueBackoff`
   * (5 ms doubling to 60 s, ±20 %), and no global bucket.
   */
  rateLimiter?: RateLimiter;
  /**
   * Called when the handler throws (it should not: the controller turns outcomes into queue calls).
   * The key is then retried with addRateLimited so that nothing is lost.
   */
  onError?: (key: string, error: Error) => void;
}>;

/** Counters for metrics: `rancher_reconciler_queue_depth`, `..._queue_retries_total`. */
export type WorkQueueStats = Readonly<{ depth: number; processing: number; delayed: number; retriesTotal: number }>;

/**
 * Keyed, delaying, rate-limited work queue. A key waits at most once, runs in at most one worker, and
 * gets exactly one more pass when it is re-added while running. Methods never throw (a rate limiter
 * built with invalid backoff options throws RangeError from `addRateLimited`) and are no-ops after shutdown.
 * @example
 * const queue = new WorkQueue({ clock, handler: (key, signal) => reconcile(key, signal), concurrency: 4 });
 * queue.add('web-1');
 * await queue.shutdown({ drain: true });
 */
export class WorkQueue {
  readonly #keyed: KeyedQueue;
  readonly #delaying: DelayingQueue;
  readonly #limiter: RateLimiter;
  #retriesTotal = 0;

  constructor(deps: WorkQueueDeps) {
    this.#limiter = deps.rateLimiter ?? new ItemExponentialRateLimiter();
    const onError = deps.onError;
    this.#keyed = new KeyedQueue({
      handler: deps.handler,
      concurrency: deps.concurrency,
      onError: (key, error) => {
        onError?.(key, error);
        this.addRateLimited(key);
      },
    });
    this.#delaying = new DelayingQueue({ clock: deps.clock, queue: this.#keyed });
  }

  /** Queues a pass for `key`: merged if it is already waiting; one more pass after the current one if running. */
  add(key: string): void {
    this.#keyed.add(key);
  }

  /** Adds `key` after `delayMs` on the clock. The earliest pending delay wins; `delayMs <= 0` adds now. */
  addAfter(key: string, delayMs: number): void {
    this.#delaying.addAfter(key, delayMs);
  }

  /** Retries `key` after the rate limiter's delay, which counts one more retry of it. */
  addRateLimited(key: string): void {
    if (this.#keyed.closed) return;
    this.#retriesTotal++;
    this.#delaying.addAfter(key, this.#limiter.when(key));
  }

  /** Resets the key's retry count (call on success). Pending delays are kept. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** Drops a pending delayed add of `key` (a pass found it in sync: no need to look again). */
  cancelDelayed(key: string): void {
    this.#delaying.cancel(key);
  }

  /** Retries counted by addRateLimited since the last forget (the rate limiter's `retries`). */
  failures(key: string): number {
    return this.#limiter.retries(key);
  }

  /** When a delayed add of `key` is due (epoch ms), for status `nextRetryAt`; undefined when none. */
  nextRunAt(key: string): number | undefined {
    return this.#delaying.dueAt(key);
  }

  /** Keys waiting for a pass (not counting delayed ones). Like client-go's Len(), a snapshot: do not poll it to decide. */
  get depth(): number {
    return this.#keyed.depth;
  }

  /** Counters for metrics; a snapshot, as {@link depth} is. */
  stats(): WorkQueueStats {
    return { depth: this.#keyed.depth, processing: this.#keyed.processing, delayed: this.#delaying.size, retriesTotal: this.#retriesTotal };
  }

  /**
   * Stops intake (add/addAfter/addRateLimited become no-ops) and drops delayed adds. With `drain` (the
   * default) waiting keys still run and running passes finish; without it waiting keys are dropped and
   * running handlers see their signal aborted, unless `abortRunning: false` lets them finish. Resolves
   * when nothing runs any more. A later call without drain escalates a gentler shutdown.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#delaying.shutdown();
    await this.#keyed.shutdown(options);
  }
}
