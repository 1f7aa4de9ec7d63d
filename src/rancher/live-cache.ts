/**
 * LiveCache: the informer. One full list at start, then resource.change snapshots from the event stream,
 * a full re-list on every (re)connect and every `resyncMs`, and periodic listing every `pollMs` while the
 * stream is down. Readiness is "first full list done".
 */
import { backoffDelay } from '../backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { LiveInstance } from '../domain/instance.js';
import type { InstanceApi, LiveChange, LiveReader } from '../domain/ports.js';
import { ReconcilerError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EventStream } from './event-stream.js';
import type { SubscribeTarget } from './http.js';
import { LiveStore, type StoreChange } from './live-store.js';
import { requestRetryBackoff } from './retry-delay.js';
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
  readonly #listListeners = new Set<(error: Error | undefined) => void>();
  readonly #failureLevel = new RetryLogLevel();
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
          onConnected: () => this.#requestList(),
          onDisconnected: () => {
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

  /** Closes the socket and timers and aborts a list in flight. */
  stop(): void {
    this.#stopped = true;
    this.#listAbort?.abort(new ReconcilerError('ERR_API_ABORTED', 'live cache stopped'));
    this.#stream?.stop();
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
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
   * Registers a listener for the result of every full list: undefined when it succeeded, the error when
   * it failed (the cache retries either way), for the API condition; returns a function that removes it.
   */
  onList(listener: (error: Error | undefined) => void): () => void {
    this.#listListeners.add(listener);
    return () => this.#listListeners.delete(listener);
  }

  observe(instance: LiveInstance, sentAtMs?: number): void {
    this.#emit(this.#store.apply(instance, sentAtMs ?? this.#clock.now()));
  }

  #emit(change: StoreChange): void {
    if (change.ids.size === 0) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener({ names: change.names, ids: change.ids });
      } catch (e: unknown) {
        this.#deps.log.error({ err: coerceError(e) }, 'live change listener failed');
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
    this.#schedule(!this.#ready ? Math.min(interval, backoffDelay(this.#listFailures - 1, requestRetryBackoff, this.#deps.random)) : interval);
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
