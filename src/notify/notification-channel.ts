/**
 * One provider's delivery: filter, dedupe window, a bounded queue and one sender loop with retries.
 * `offer` is what the event source's subscriber calls: synchronous and O(1), it only decides and
 * enqueues, so a slow or hanging receiver never slows the recording of events (and so never
 * reconciliation). The loop sends one event at a time, in order.
 */
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Clock } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReconcilerEvent } from '../observability/event-model.js';
import type { NotificationResult, NotifyMetrics } from '../observability/notify-metrics.js';
import { DedupeWindow } from './dedupe-window.js';
import { compileFilter, dedupeKey } from './event-filter.js';
import type { NotificationConfig } from './notify-config.js';
import { postNotification, type SendResult } from './post-notification.js';
import { requestFor } from './provider.js';

/**
 * The delivery policy, the same for every provider. A send is tried `attempts` times in all, waiting
 * `backoff` between tries (2 s doubling to 30 s, ±20 %); only no answer, a timeout, 408, 429 and 5xx
 * are tried again. `queueCapacity` events wait at most; `shutdownGraceMs` is how long stop() lets the
 * queue drain and a send finish before aborting.
 */
export const deliveryDefaults = {
  queueCapacity: 100,
  sendTimeoutMs: 10_000,
  attempts: 4,
  backoff: { baseMs: 2000, maxMs: 30_000, factor: 2, jitter: 0.2 } satisfies BackoffOptions,
  shutdownGraceMs: 2000,
} as const;

export type DeliveryPolicy = Readonly<{
  queueCapacity: number;
  sendTimeoutMs: number;
  attempts: number;
  backoff: BackoffOptions;
  shutdownGraceMs: number;
}>;

/**
 * What the channel reports of each event it accepted, for metrics, logs and tests (which await these
 * instead of sleeping): a final result, or `retrying` before a backoff wait (`retryInMs` on the clock).
 */
export type DeliveryOutcome = Readonly<
  | { provider: string; kind: NotificationResult; eventId: number; attempts?: number; status?: number; error?: string }
  | { provider: string; kind: 'retrying'; eventId: number; attempt: number; retryInMs: number; status?: number; error?: string }
>;

export type NotificationChannelDeps = Readonly<{
  config: NotificationConfig;
  clock: Clock;
  /** Already bound to `{ component: 'notify', provider }`. */
  log: Logger;
  metrics: NotifyMetrics;
  policy?: Partial<DeliveryPolicy>;
  random?: () => number;
  observe?: (outcome: DeliveryOutcome) => void;
}>;

export class NotificationChannel {
  readonly #deps: NotificationChannelDeps;
  readonly #policy: DeliveryPolicy;
  readonly #accepts: (event: ReconcilerEvent) => boolean;
  readonly #dedupe: DedupeWindow;
  readonly #queue: ReconcilerEvent[] = [];
  /** Aborted at the end of the shutdown grace: the send in flight and a backoff wait end at once. */
  readonly #abort = new AbortController();
  readonly #loop: Promise<void>;
  #wake: (() => void) | undefined;
  #closed = false;
  #overflowing = false;

  constructor(deps: NotificationChannelDeps) {
    this.#deps = deps;
    this.#policy = { ...deliveryDefaults, ...deps.policy };
    this.#accepts = compileFilter(deps.config);
    this.#dedupe = new DedupeWindow(deps.config.dedupeWindowMs);
    deps.metrics.addProvider(deps.config.name);
    // #run handles every send failure itself; this catches a bug, which must not become an unhandled rejection
    this.#loop = this.#run().catch((e: unknown) => deps.log.error({ err: coerceError(e) }, 'notification loop failed'));
  }

  /** The entry's name (the metric label and log field). */
  get name(): string {
    return this.#deps.config.name;
  }

  /** Events waiting (not counting the one being sent). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Takes `event` if the filters want it and it is no duplicate; when the queue is full the oldest
   * waiting event is dropped. Never blocks, never throws for a send; a no-op after stop().
   */
  offer(event: ReconcilerEvent): void {
    if (this.#closed || !this.#accepts(event)) return;
    if (!this.#dedupe.admit(dedupeKey(event), this.#deps.clock.now())) {
      this.#finish(event, 'suppressed');
      return;
    }
    this.#queue.push(event);
    if (this.#queue.length > this.#policy.queueCapacity) this.#dropOldest();
    this.#wake?.();
  }

  /**
   * Stops taking events, lets the queue drain and the send in flight finish for the grace period, then
   * aborts what is left (counted `dropped`). Resolves when the loop has ended.
   */
  async stop(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#wake?.();
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      // awaited by the shutdown: the grace timer keeps the process alive until it fires
      const grace = new Promise<void>((resolve) => (timer = this.#deps.clock.setTimeout(resolve, this.#policy.shutdownGraceMs, { keepAlive: true })));
      await Promise.race([this.#loop, grace]);
      if (timer !== undefined) this.#deps.clock.clearTimeout(timer);
      this.#abort.abort();
    }
    await this.#loop;
  }

  #dropOldest(): void {
    const oldest = this.#queue.shift();
    if (oldest !== undefined) this.#finish(oldest, 'dropped');
    if (!this.#overflowing) {
      this.#overflowing = true;
      this.#deps.log.warn({ capacity: this.#policy.queueCapacity }, 'notification queue full');
    }
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#abort.signal.aborted) {
        const left = this.#queue.splice(0);
        for (const event of left) this.#finish(event, 'dropped');
        if (left.length > 0) this.#deps.log.warn({ count: left.length }, 'notifications dropped at shutdown');
        return;
      }
      const event = this.#queue.shift();
      if (event === undefined) {
        this.#overflowing = false;
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      await this.#deliver(event);
    }
  }

  /** Sends `event`, trying again after a backoff while the failure is retryable and tries are left. */
  async #deliver(event: ReconcilerEvent): Promise<void> {
    const request = requestFor(this.#deps.config, event);
    const { attempts, sendTimeoutMs, backoff } = this.#policy;
    for (let attempt = 1; ; attempt += 1) {
      const result = await postNotification(request, { timeoutMs: sendTimeoutMs, signal: this.#abort.signal });
      if (result.kind === 'sent') {
        this.#finish(event, 'sent', { attempts: attempt, status: result.status });
        return;
      }
      if (this.#abort.signal.aborted) {
        this.#finish(event, 'dropped', { attempts: attempt });
        return;
      }
      if (!result.retryable || attempt >= attempts) {
        this.#failed(event, attempt, result);
        return;
      }
      const retryInMs = backoffDelay(attempt - 1, backoff, this.#deps.random);
      this.#deps.observe?.({ provider: this.name, kind: 'retrying', eventId: event.id, attempt, retryInMs, ...failureFields(result) });
      this.#deps.log.debug({ event: event.kind, key: event.key, attempt, retryInMs, ...failureFields(result) }, 'notification retrying');
      if (!(await this.#pause(retryInMs))) {
        this.#finish(event, 'dropped', { attempts: attempt });
        return;
      }
    }
  }

  #failed(event: ReconcilerEvent, attempts: number, result: Extract<SendResult, { kind: 'failed' }>): void {
    this.#finish(event, 'failed', { attempts, ...failureFields(result) });
    // the provider's name only (bound in the child logger): its URL may carry a token
    this.#deps.log.warn({ event: event.kind, key: event.key, attempts, ...failureFields(result) }, 'notification failed');
  }

  /** Waits `ms` on the clock; false when aborted first. A background timer: it never holds the process open. */
  #pause(ms: number): Promise<boolean> {
    const signal = this.#abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve(false);
        return;
      }
      const onAbort = (): void => {
        this.#deps.clock.clearTimeout(handle);
        resolve(false);
      };
      const handle = this.#deps.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #finish(event: ReconcilerEvent, kind: NotificationResult, detail: Readonly<{ attempts?: number; status?: number; error?: string }> = {}): void {
    this.#deps.metrics.incNotifications(this.name, kind);
    this.#deps.observe?.({ provider: this.name, kind, eventId: event.id, ...detail });
  }
}

function failureFields(result: Extract<SendResult, { kind: 'failed' }>): { status?: number; error: string } {
  return { ...(result.status === undefined ? {} : { status: result.status }), error: result.error };
}
