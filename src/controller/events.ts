/**
 * Typed lifecycle events of the controller (docs/style.md#injected-time-and-typed-events): they feed tests (await an event instead of
 * sleeping), `apply`'s progress output and the daemon's logs. Listeners never break the emitter.
 */
import type { InstanceKey } from '../domain/instance.js';
import type { Action, Plan } from '../domain/plan.js';
import type { ApiStatus, Phase } from '../domain/status.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';

export type ReconcileFinishedEvent = Readonly<{
  key: InstanceKey;
  plan: Plan | undefined;
  phase: Phase;
  action: Action | undefined;
  error: Error | undefined;
  durationMs: number;
}>;

export type ControllerEventMap = {
  'reconcile:finished': ReconcileFinishedEvent;
  /** Every managed key is in sync for `revision` (emitted once per revision). */
  'revision:converged': Readonly<{ revision: string; durationMs: number }>;
  /** No key is progressing, waiting or failed: the controller has nothing left to do for now. */
  'controller:settled': Readonly<{ revision: string | undefined; summary: Readonly<Record<Phase, number>> }>;
  /** Rancher answered 401/403 (to a list or an action): the credentials or the project are wrong. */
  'api:unauthorized': Readonly<{ error: Error }>;
  /**
   * The API condition or its message changed (api-condition-tracker.ts); `error` is the failure that
   * changed it, undefined when the API answers again.
   */
  'api:condition': Readonly<{ api: ApiStatus; error: Error | undefined }>;
};

/** Dependencies of ControllerEvents. */
export type ControllerEventsDeps = Readonly<{ log: Logger }>;

type Listener<T> = (event: T) => void;

/**
 * A minimal typed emitter. `on` returns an unsubscribe function. A listener that throws is logged
 * (`event listener failed`, error level, with the `event` name) and the other listeners still run.
 */
export class ControllerEvents {
  readonly #listeners = new Map<keyof ControllerEventMap, Set<Listener<never>>>();
  readonly #log: Logger;

  constructor(deps: ControllerEventsDeps) {
    this.#log = deps.log;
  }

  on<K extends keyof ControllerEventMap>(name: K, listener: Listener<ControllerEventMap[K]>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof ControllerEventMap>(name: K, event: ControllerEventMap[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as Listener<ControllerEventMap[K]>)(event);
      } catch (e: unknown) {
        // a listener's bug must not break reconciliation, nor go unnoticed
        this.#log.error({ event: name, err: coerceError(e) }, 'event listener failed');
      }
    }
  }
}
