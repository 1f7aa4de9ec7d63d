/**
 * What a pass's result does to its key in the queue, decided in one small function as
 * controller-runtime's `reconcileHandler` does: an outcome forgets the key's failures and looks again
 * after `requeueAfterMs` (or drops a pending look); a failure worth another pass is retried with
 * backoff; 401/403 and other terminal failures stop the key until something changes.
 */
import { ApiError, isRetryable } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import type { ReconcileOutcome } from './reconciler.js';

/** One pass's result: the outcome, or the error it threw. */
export type PassResult = Readonly<{ outcome: ReconcileOutcome; error?: undefined }> | Readonly<{ outcome?: undefined; error: Error }>;

/** What happens to the key next. */
export type Requeue =
  | Readonly<{ kind: 'after'; delayMs: number }>
  | Readonly<{ kind: 'done' }>
  | Readonly<{ kind: 'backoff' }>
  | Readonly<{ kind: 'unauthorized'; error: ApiError }>
  | Readonly<{ kind: 'terminal' }>;

/** The queue calls a Requeue needs. */
export interface RequeueTarget {
  forget(key: InstanceKey): void;
  addAfter(key: InstanceKey, delayMs: number): void;
  cancelDelayed(key: InstanceKey): void;
  addRateLimited(key: InstanceKey): void;
}

/**
 * A state race (422 ActionNotAvailable, 409 Conflict) is worth another pass even though the call itself
 * is not retryable: the next pass reads the new state and decides again.
 */
function isStateRace(error: Error): boolean {
  return error instanceof ApiError && (error.apiCode === 'ActionNotAvailable' || error.status === 409);
}

/** Maps a pass's result to what the queue does with the key. */
export function requeueFor(result: PassResult): Requeue {
  if (result.outcome !== undefined) {
    const after = result.outcome.requeueAfterMs;
    return after === undefined ? { kind: 'done' } : { kind: 'after', delayMs: after };
  }
  const { error } = result;
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return { kind: 'unauthorized', error };
  return isRetryable(error) || isStateRace(error) ? { kind: 'backoff' } : { kind: 'terminal' };
}

/** Applies `requeue` to `key`. */
export function applyRequeue(queue: RequeueTarget, key: InstanceKey, requeue: Requeue): void {
  switch (requeue.kind) {
    case 'after':
      queue.forget(key);
      queue.addAfter(key, requeue.delayMs);
      return;
    case 'done':
      queue.forget(key);
      // in sync or blocked: the fallback look scheduled after an earlier action is no longer needed
      queue.cancelDelayed(key);
      return;
    case 'backoff':
      queue.addRateLimited(key);
      return;
    case 'unauthorized':
    case 'terminal':
      return;
  }
}
