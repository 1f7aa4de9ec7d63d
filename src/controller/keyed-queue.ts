/**
 * The bottom layer of the work queue: client-go's deduplicating ("stingy") `Type` from queue.go,
 * rewritten for promises on top of p-queue. It holds keys, never objects: a key waits at most once, runs
 * in at most one worker, and gets exactly one more pass when it is re-added while running. client-go's
 * `Get`/`Done` pair is the handler call here: the pass starts when p-queue runs it and is done when the
 * handler's promise settles.
 */
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import { coerceError } from '../errors.js';

/** Runs one pass for `key`. `signal` aborts when the queue is shut down without drain. */
export type WorkHandler = (key: string, signal: AbortSignal) => Promise<void>;

/** What a shutdown does with waiting and running keys; see {@link KeyedQueue.shutdown}. */
export type ShutdownOptions = Readonly<{ drain?: boolean; abortRunning?: boolean }>;

export type KeyedQueueDeps = Readonly<{
  handler: WorkHandler;
  /** Passes running at once, across keys. Default 4. */
  concurrency?: number;
  /**
   * Called, before the key's pass counts as done, when the handler throws. The handler should not
   * throw; the work queue uses this to retry the key with backoff so that nothing is lost.
   */
  onError?: (key: string, error: Error) => void;
}>;

/**
 * Dedupe/processing queue. Methods never throw; `add` is a no-op after shutdown.
 * @example
 * const queue = new KeyedQueue({ handler: (key, signal) => reconcile(key, signal), concurrency: 4 });
 * queue.add('web-1');
 * await queue.shutdown({ drain: true });
 */
export class KeyedQueue {
  readonly #handler: WorkHandler;
  readonly #onError: ((key: string, error: Error) => void) | undefined;
  readonly #pq: PQueue;
  readonly #abort = new AbortController();
  /** Keys waiting for a pass (scheduled on p-queue, or to be rescheduled when their running pass ends). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  #closed = false;
  #draining = true;

  constructor(deps: KeyedQueueDeps) {
    this.#handler = deps.handler;
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

  /** True once {@link shutdown} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Keys waiting for a pass (a running key re-added counts once). Like client-go's `Len()`, a snapshot
   * for metrics and logs: do not poll it to decide whether to add, the answer is stale at once.
   */
  get depth(): number {
    return this.#dirty.size;
  }

  /** Keys whose pass is running now. A snapshot, as {@link depth} is. */
  get processing(): number {
    return this.#processing.size;
  }

  /** Resolves when no key is waiting or running. */
  async onIdle(): Promise<void> {
    while (this.#dirty.size > 0 || this.#processing.size > 0) await this.#pq.onIdle();
  }

  /**
   * Stops intake (`add` becomes a no-op). With `drain` (the default) waiting keys still run and running
   * passes finish; without it waiting keys are dropped and running handlers see their signal aborted,
   * unless `abortRunning: false` lets them finish. Resolves when nothing runs any more. A later call
   * without drain escalates a gentler shutdown.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#closed = true;
    if (!(options.drain ?? true)) {
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
      this.#onError?.(key, coerceError(e));
    } finally {
      this.#processing.delete(key);
      // Added while running: exactly one more pass (also while draining).
      if (this.#dirty.has(key) && (!this.#closed || this.#draining)) this.#schedule(key);
      else this.#dirty.delete(key);
    }
  }
}
