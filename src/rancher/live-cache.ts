/**
 * LiveCache: the informer. One full list at start, then resource.change snapshots from the event stream,
 * a full re-list on every (re)connect and every `resyncMs`, and periodic listing every `pollMs` while the
 * stream is down. Readiness is "first full list done".
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { LiveInstance } from '../domain/instance.js';
import type { InstanceApi, LiveChange, LiveReader } from '../domain/ports.js';
import { ReconcilerError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EventStream } from './event-stream.js';
import type { SubscribeTarget } from './http.js';
import { LiveStore, type StoreChange } from './live-store.js';
import { retryDelayMs } from './retry-delay.js';
import { RetryLogLevel } from './retry-log-level.js';
import { toLiveInstance } from './wire.js';

/** Dependencies of LiveCache. */
export type LiveCacheDeps = Readonly<{
  api: Pick<InstanceApi, 'list'>;
  /** Where the event websocket lives (HttpClient.subscribeTarget); absent = polling only. */
  subscribe?: () => SubscribeTarget;
  log: Logger;
  clock?: Clock;
  /** Full re-list period while the stream is up (the `--resync` flag). */
  resyncMs: number;
  /** Re-list period while the stream is down; default min(resyncMs, 10 s) (the rancher CLI re-polls every 10 s). */
  pollMs?: number;
  /** Event-stream liveness: no message for this long reconnects; default 30 s. */
  staleAfterMs?: number;
  random?: () => number;
  /** Called with every failed list (the cache keeps retrying); lets callers stop at once on 401/403. */
  onListError?: (error: Error) => void;
}>;

/** Options of {@link LiveCache.waitFor}. */
export type WaitOptions = Readonly<{ timeoutMs: number; signal?: AbortSignal }>;

type Waiter = () => void;

/**
 * The Rancher implementation of {@link LiveReader}. Call `start()` once, `stop()` at shutdown (closes the
 * socket and every timer). Listeners get the names (old and new) and ids that changed; a re-list that
 * changes nothing emits nothing. Listener exceptions are logged and do not break the cache.
 */
export class LiveCache implements LiveReader {
  readonly #deps: LiveCacheDeps;
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #store = new LiveStore();
  readonly #listeners = new Set<(change: LiveChange) => void>();
  readonly #streamListeners = new Set<(connected: boolean) => void>();
  readonly #listListeners = new Set<(error: Error | undefined) => void>();
  readonly #failureLevel = new RetryLogLevel();
  readonly #waiters = new Set<Waiter>();
  readonly #stopWaiters = new Set<Waiter>();
  readonly #stream: EventStream | undefined;
  #ready = false;
  #readyWaiters: Array<() => void> = [];
  #stopped = true;
  #listing = false;
  #listAgain = false;
  #listFailures = 0;
  #timer: TimerHandle | undefined;
  /** Aborts the list in flight (stop() must not leave a request, or its retry sleep, behind). */
  #listAbort: AbortController | undefined;
  #startedMs = 0;

  constructor(deps: LiveCacheDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#pollMs = deps.pollMs ?? Math.min(deps.resyncMs, 10_000);
    this.#stream = deps.subscribe
      ? new EventStream({
          target: deps.subscribe,
          log: deps.log,
          clock: this.#clock,
          pollMs: this.#pollMs,
          ...(deps.staleAfterMs === undefined ? {} : { staleAfterMs: deps.staleAfterMs }),
          ...(deps.random === undefined ? {} : { random: deps.random }),
          onSnapshot: (resource, timeMs) => this.#emit(this.#store.apply(toLiveInstance(resource), timeMs)),
          onConnected: () => {
            this.#requestList();
            this.#emitStream(true);
          },
          onDisconnected: () => {
            this.#emitStream(false);
            // before the first list, or when a re-list is due sooner at the polling rate
            if (!this.#ready) this.#requestList();
            else this.#schedule(this.#pollMs);
          },
        })
      : undefined;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** True while the event stream is connected (false in polling mode). */
  get streaming(): boolean {
    return this.#stream?.connected ?? false;
  }

  /** Starts the stream (whose connection triggers the first list) or, without one, the first list. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#startedMs = this.#clock.now();
    if (this.#stream) this.#stream.start();
    else this.#requestList();
  }

  /** Closes the socket and timers and aborts a list in flight; pending waits reject with ERR_INTERNAL. */
  stop(): void {
    this.#stopped = true;
    this.#listAbort?.abort(new ReconcilerError('ERR_API_ABORTED', 'live cache stopped'));
    this.#stream?.stop();
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of [...this.#stopWaiters]) waiter();
  }

  /**
   * Lists everything again now and resolves when a list that started after this call has ended (failed
   * lists included: the caller only needs the cache to be as fresh as Rancher lets it be).
   */
  relist(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      // a list already running started before this call: wait for the one after it
      let toSkip = this.#listing ? 1 : 0;
      const off = this.onList(() => {
        if (toSkip-- > 0) return;
        off();
        resolve();
      });
      this.#requestList();
    });
  }

  /** Resolves once the first full list is done; rejects with the signal's reason when aborted. */
  waitReady(signal?: AbortSignal): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#readyWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  get(id: string): LiveInstance | undefined {
    return this.#store.get(id);
  }

  byName(name: string): readonly LiveInstance[] {
    return this.#store.byName(name).filter((instance) => !instance.removed);
  }

  all(): readonly LiveInstance[] {
    return this.#store.values().filter((instance) => !instance.removed);
  }

  onChange(listener: (change: LiveChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Registers a listener for event-stream connection changes (true = connected, false = lost or refused),
   * for health, metrics and tests; returns a function that removes it.
   */
  onStream(listener: (connected: boolean) => void): () => void {
    this.#streamListeners.add(listener);
    return () => this.#streamListeners.delete(listener);
  }

  /**
   * Registers a listener for the result of every full list: undefined when it succeeded, the error when
   * it failed (the cache retries either way), for the API condition; returns a function that removes it.
   */
  onList(listener: (error: Error | undefined) => void): () => void {
    this.#listListeners.add(listener);
    return () => this.#listListeners.delete(listener);
  }

  observe(instance: LiveInstance): void {
    this.#emit(this.#store.apply(instance, this.#clock.now()));
  }

  /**
   * Resolves with the cached instance (or undefined when it is gone) once `predicate` holds, checked on
   * every cache update, never by polling. Rejects with ERR_INSTANCE_ERROR (message = transitioningMessage)
   * when the instance reaches `transitioning: error` without satisfying the predicate, with
   * ERR_WAIT_TIMEOUT (retryable) at the deadline, and with the signal's reason when aborted.
   */
  waitFor(id: string, predicate: (instance: LiveInstance | undefined) => boolean, options: WaitOptions): Promise<LiveInstance | undefined> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(signal.reason);
      let deadline: TimerHandle | undefined;
      const finish = (outcome: () => void): void => {
        this.#waiters.delete(check);
        this.#stopWaiters.delete(stopped);
        if (deadline) this.#clock.clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const check: Waiter = () => {
        const instance = this.#store.get(id);
        if (predicate(instance)) return finish(() => resolve(instance));
        if (instance?.transitioning === 'error') {
          finish(() => reject(new ReconcilerError('ERR_INSTANCE_ERROR', `instance ${id} failed: ${instance.transitioningMessage ?? 'transitioning error'}`)));
        }
      };
      const stopped: Waiter = () => finish(() => reject(new ReconcilerError('ERR_INTERNAL', 'live cache stopped')));
      const onAbort = (): void => finish(() => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      deadline = this.#clock.setTimeout(
        () => finish(() => reject(new ReconcilerError('ERR_WAIT_TIMEOUT', `instance ${id}: wait timed out after ${options.timeoutMs} ms`, { retryable: true }))),
        options.timeoutMs,
      );
      this.#waiters.add(check);
      this.#stopWaiters.add(stopped);
      check();
      if (this.#stopped) stopped();
    });
  }

  #emit(change: StoreChange): void {
    if (change.ids.size === 0) return;
    for (const waiter of [...this.#waiters]) waiter();
    for (const listener of [...this.#listeners]) {
      try {
        listener({ names: change.names, ids: change.ids });
      } catch (e: unknown) {
        this.#deps.log.error({ err: coerceError(e) }, 'live change listener failed');
      }
    }
  }

  #emitStream(connected: boolean): void {
    for (const listener of [...this.#streamListeners]) {
      try {
        listener(connected);
      } catch (e: unknown) {
        this.#deps.log.error({ err: coerceError(e) }, 'stream listener failed');
      }
    }
  }

  #emitList(error: Error | undefined): void {
    for (const listener of [...this.#listListeners]) {
      try {
        listener(error);
      } catch (e: unknown) {
        this.#deps.log.error({ err: coerceError(e) }, 'list listener failed');
      }
    }
  }

  #requestList(): void {
    if (this.#stopped) return;
    if (this.#listing) {
      this.#listAgain = true;
      return;
    }
    void this.#list();
  }

  async #list(): Promise<void> {
    this.#listing = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const startedMs = this.#clock.now();
    const abort = new AbortController();
    this.#listAbort = abort;
    try {
      const instances = await this.#deps.api.list(abort.signal);
      if (this.#stopped) return;
      this.#listFailures = 0;
      this.#failureLevel.succeeded();
      this.#emit(this.#store.replaceAll(instances, startedMs));
      if (!this.#ready) {
        this.#ready = true;
        this.#deps.log.info({ count: this.all().length, durationMs: this.#clock.now() - this.#startedMs }, 'live cache ready');
        for (const wake of this.#readyWaiters.splice(0)) wake();
      }
      this.#emitList(undefined);
    } catch (e: unknown) {
      // aborted by stop(): not a failure of Rancher
      if (this.#stopped) return;
      this.#listFailures += 1;
      const err = coerceError(e);
      // the first failure of a kind warns; its repeats are debug (the API condition logs the change)
      this.#deps.log[this.#failureLevel.failed(err)]({ attempt: this.#listFailures, err: { code: (err as { code?: unknown }).code, message: err.message } }, 'live cache list failed');
      this.#deps.onListError?.(err);
      this.#emitList(err);
    } finally {
      this.#listing = false;
      if (this.#listAbort === abort) this.#listAbort = undefined;
    }
    if (this.#stopped) return;
    if (this.#listAgain) {
      this.#listAgain = false;
      return this.#requestList();
    }
    // the period runs from the start of this list, so a slow list of a large environment does not
    // stretch every resync by its own duration
    const interval = Math.max(0, (this.streaming ? this.#deps.resyncMs : this.#pollMs) - (this.#clock.now() - startedMs));
    // a failed first list retries on a backoff, not a whole resync later
    this.#schedule(!this.#ready ? Math.min(interval, retryDelayMs(this.#listFailures, undefined, undefined, this.#deps.random)) : interval);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || this.#listing) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#requestList();
    }, delayMs);
  }
}
