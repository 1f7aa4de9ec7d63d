/**
 * PassObserver: everything a finished pass is reported to, apart from the queue (requeue.ts decides
 * that): the key's status, drift, metrics, the log line of a failure, the `api:unauthorized` and
 * `reconcile:finished` events. controller-runtime leaves this to the reconciler; here one observer
 * keeps it out of the controller's loop.
 */
import type { Logger } from '../logger.js';
import { isRetryable } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import { describeAction, type Plan, type PlanKind } from '../domain/plan.js';
import type { Metrics, ReconcileResultLabel } from '../observability/metrics.js';
import type { DriftTracker } from './drift-tracker.js';
import type { ControllerEvents } from './events.js';
import { failureStatus, outcomeStatus } from './outcome-status.js';
import type { PassResult, Requeue } from './requeue.js';
import type { StatusBook } from './status-book.js';

export type PassObserverDeps = Readonly<{
  status: StatusBook;
  drift: DriftTracker;
  events: ControllerEvents;
  log: Logger;
  metrics?: Metrics;
  /** What the queue knows of a key after the requeue was applied. */
  queue: Readonly<{ failures(key: InstanceKey): number; nextRunAt(key: InstanceKey): number | undefined; readonly depth: number }>;
  revision: () => string | null;
  instanceIdOf: (key: InstanceKey) => string | null;
  errorRetries: number;
}>;

/** The `result` label of `rancher_reconciler_reconcile_total` for a plan kind (the documented values). */
const resultLabels: Readonly<Record<PlanKind, ReconcileResultLabel>> = { 'in-sync': 'in-sync', act: 'acted', wait: 'waiting', blocked: 'blocked' };

/** A key held by `spec.suspend` or a suspended daemon: not in sync (no drift baseline), counted as `suspended`. */
function isHeld(plan: Plan): boolean {
  return plan.kind === 'in-sync' && (plan.note === 'suspended' || plan.note === 'daemon-suspended' || plan.note === 'standby');
}

export class PassObserver {
  readonly #deps: PassObserverDeps;

  constructor(deps: PassObserverDeps) {
    this.#deps = deps;
  }

  /** Reports one pass. `unmanaged`: the key is no longer managed, so its status is dropped. */
  observe(key: InstanceKey, result: PassResult, requeue: Requeue, durationMs: number, unmanaged: boolean): void {
    if (result.outcome !== undefined) this.#outcome(key, result.outcome, durationMs, unmanaged);
    else this.#failure(key, result.error, requeue, durationMs);
    const { metrics, status, events, queue } = this.#deps;
    metrics?.setPhases(status.summary());
    metrics?.setQueueDepth(queue.depth);
    const { outcome, error } = result;
    const instanceId = outcome?.instanceId ?? this.#deps.instanceIdOf(key);
    events.emit('reconcile:finished', { key, plan: outcome?.plan, phase: status.get(key)?.phase ?? 'in-sync', action: outcome?.action, error, durationMs, instanceId });
  }

  #outcome(key: InstanceKey, outcome: NonNullable<PassResult['outcome']>, durationMs: number, unmanaged: boolean): void {
    const { drift, status, metrics, log, events } = this.#deps;
    if (isHeld(outcome.plan)) drift.forget(key);
    else if (outcome.plan.kind === 'in-sync') drift.inSync(key, outcome.desired);
    else if (outcome.action !== undefined && drift.acted(key, outcome.desired)) {
      metrics?.incDriftDetected();
      log.info({ key, instanceId: outcome.instanceId, action: outcome.action.kind }, 'drift detected');
      events.emit('drift:detected', { key, instanceId: outcome.instanceId, action: outcome.action.kind });
    }
    if (outcome.action !== undefined) log.debug({ key, action: describeAction(outcome.action) }, 'action issued');
    if (unmanaged) {
      status.delete(key);
      drift.forget(key);
    } else {
      status.set(key, outcomeStatus(outcome, { revision: this.#deps.revision(), nextRetryAt: this.#nextRetryIso(key) }));
    }
    metrics?.observeReconcile({ result: isHeld(outcome.plan) ? 'suspended' : resultLabels[outcome.plan.kind], durationMs });
  }

  #failure(key: InstanceKey, error: Error, requeue: Requeue, durationMs: number): void {
    const { status, metrics, log, queue, events } = this.#deps;
    if (requeue.kind === 'unauthorized') {
      events.emit('api:unauthorized', { error: requeue.error });
    }
    if (requeue.kind === 'backoff') metrics?.incQueueRetries();
    const attempts = queue.failures(key);
    status.set(key, failureStatus(error, { attempts, errorRetries: this.#deps.errorRetries, revision: this.#deps.revision(), nextRetryAt: this.#nextRetryIso(key), instanceId: this.#deps.instanceIdOf(key) }));
    metrics?.observeReconcile({ result: 'error', durationMs });
    const fields = { key, attempt: attempts, err: error, durationMs };
    if (isRetryable(error)) log.warn(fields, 'reconcile failed, retrying');
    else log.error(fields, 'reconcile failed');
  }

  #nextRetryIso(key: InstanceKey): string | null {
    const due = this.#deps.queue.nextRunAt(key);
    return due === undefined ? null : new Date(due).toISOString();
  }
}
