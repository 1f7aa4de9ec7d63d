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
  /** The Rancher id the pass acted on or looked at, when known. */
  instanceId?: string | null;
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
  /**
   * A manifest snapshot with a new revision reached the controller (revision-tracker.ts). `seenAtMs`:
   * when the source first saw it (the converge clock's start); `changed`: keys whose desired state changed.
   */
  'revision:seen': Readonly<{ revision: string; seenAtMs: number; complete: boolean; changed: number; issues: number }>;
  /** A key's phase or reason changed (status-book.ts, the `phase changed` log line). */
  'phase:changed': Readonly<{ key: InstanceKey; instanceId: string | null; phase: Phase; previousPhase: Phase | null; reason: string; message: string; revision: string | null }>;
  /** A pass had to act on a key that was in sync with this very manifest (pass-observer.ts, `drift detected`). */
  'drift:detected': Readonly<{ key: InstanceKey; instanceId: string | null; action: string }>;
  /** A revision's removals were refused (prune-budget.ts via the controller, `removals refused`); once per new refusal. */
  'removals:refused': Readonly<{ revision: string | null; count: number; budget: number; reason: string; message: string; keys: readonly InstanceKey[] }>;
  /** A surplus same-name twin we created was removed (action-runner.ts, `surplus twin removed`). */
  'twin:removed': Readonly<{ key: InstanceKey; instanceId: string }>;
  /**
   * The git source's condition changed (source-condition.ts): `ready` false with the failure's reason and
   * message, true when it fetches again. `keeping`: the revision that stays applied (null before the first).
   */
  'source:condition': Readonly<{ ready: boolean; reason: string | null; message: string; keeping: string | null }>;
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
