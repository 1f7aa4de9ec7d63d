/**
 * ApiConditionTracker: the current condition of the Rancher API, as the calls that matter see it (the
 * live cache's full lists and the controller's passes). It is logged, counted and announced only when it
 * changes, so an outage retried for hours gives one line, one gauge flip and one `api:condition` event.
 */
import type { Clock } from '../clock.js';
import { initialApiStatus, type ApiCondition, type ApiStatus } from '../domain/status.js';
import { ApiError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { apiConditionOf } from '../rancher/api-condition.js';
import type { ControllerEvents } from './events.js';

/** Dependencies of ApiConditionTracker. */
export type ApiConditionTrackerDeps = Readonly<{
  clock: Clock;
  log: Logger;
  events: ControllerEvents;
  metrics?: Metrics;
}>;

/** What the tracker watches: the live cache's list results and the controller's events. */
export type ApiConditionSources = Readonly<{
  live: Readonly<{ onList(listener: (error: Error | undefined) => void): () => void }>;
  events: ControllerEvents;
}>;

/** Log level per failing condition: error when no call can work; warn for 5xx, which often hit single calls. */
const levelOf: Readonly<Record<Exclude<ApiCondition, 'ok'>, 'error' | 'warn'>> = {
  unauthorized: 'error',
  'not-rancher': 'error',
  unreachable: 'error',
  'server-error': 'warn',
};

/**
 * Holds the current {@link ApiStatus}. `failed` and `succeeded` never throw. On each change of condition
 * it logs once (`Rancher API failing` at error level, warn for `server-error`; `Rancher API reachable
 * again` at info, fields `condition`, `previous`, `reason`, `err`, `http`), sets the
 * `rancher_reconciler_api_condition` gauge and emits `api:condition`; a new message for the same
 * condition (another cause) only emits the event.
 */
export class ApiConditionTracker {
  readonly #deps: ApiConditionTrackerDeps;
  #current: ApiStatus = initialApiStatus;
  #sinceMs: number;

  constructor(deps: ApiConditionTrackerDeps) {
    this.#deps = deps;
    this.#sinceMs = deps.clock.now();
    deps.metrics?.setApiCondition('ok');
  }

  /** The current condition, for `/status`. */
  get status(): ApiStatus {
    return this.#current;
  }

  /**
   * Why `/readyz` fails because of the API, or undefined. A 5xx alone does not make a daemon that has
   * listed unready (it usually hits one call); before the first list it is the reason nothing is listed.
   */
  notReadyReason(listed: boolean): string | undefined {
    const { condition, message } = this.#current;
    if (condition === 'ok' || (condition === 'server-error' && listed)) return undefined;
    return message;
  }

  /** Subscribes to list results (failure or success) and to pass results (errors, and actions that went through). */
  watch(sources: ApiConditionSources): () => void {
    const offList = sources.live.onList((error) => (error === undefined ? this.succeeded() : this.failed(error)));
    const offPass = sources.events.on('reconcile:finished', (event) => {
      if (event.error !== undefined) this.failed(event.error);
      else if (event.action !== undefined) this.succeeded();
    });
    return () => {
      offList();
      offPass();
    };
  }

  /** Takes in a failed call. One that says nothing about the API as a whole (422, 409, a 404 on one resource) changes nothing. */
  failed(raw: unknown): void {
    const error = coerceError(raw);
    const seen = apiConditionOf(error);
    if (seen === undefined) return;
    const previous = this.#current;
    const changed = seen.condition !== previous.condition;
    if (!changed && seen.message === previous.message) return;
    const { clock, log, metrics, events } = this.#deps;
    if (changed) this.#sinceMs = clock.now();
    this.#current = {
      condition: seen.condition,
      message: seen.message,
      since: new Date(this.#sinceMs).toISOString(),
      ...(seen.status === undefined ? {} : { status: seen.status }),
      code: seen.code,
    };
    if (changed) {
      const fields = {
        condition: seen.condition,
        previous: previous.condition,
        reason: seen.message,
        err: { code: seen.code, message: error.message },
        ...(error instanceof ApiError ? { http: { method: error.method, url: error.url, ...(error.status === undefined ? {} : { status: error.status }) } } : {}),
      };
      log[levelOf[seen.condition]](fields, 'Rancher API failing');
      metrics?.setApiCondition(seen.condition);
    }
    events.emit('api:condition', { api: this.#current, error });
  }

  /** Takes in a call that went through: back to `ok` when it was failing. */
  succeeded(): void {
    const previous = this.#current;
    if (previous.condition === 'ok') return;
    const { clock, log, metrics, events } = this.#deps;
    const now = clock.now();
    log.info({ condition: 'ok', previous: previous.condition, durationMs: now - this.#sinceMs }, 'Rancher API reachable again');
    this.#sinceMs = now;
    this.#current = { condition: 'ok', message: 'Rancher API reachable', since: new Date(now).toISOString() };
    metrics?.setApiCondition('ok');
    events.emit('api:condition', { api: this.#current, error: undefined });
  }
}
