/**
 * InstanceReconciler: one pass for one key, in four steps: gather `diff`'s inputs (diff-inputs.ts, the
 * same code `plan` runs), decide (`diff`), apply the plan's inventory effect, and run at most the first
 * action (action-runner.ts), saying when to look again. It throws ApiError (and friends) for the
 * controller to turn into retries.
 */
import type { Clock } from '../clock.js';
import { assertNever } from '../errors.js';
import type { Logger } from '../logger.js';
import { diff } from '../domain/diff.js';
import type { DesiredInstance, InstanceKey, LiveInstance } from '../domain/instance.js';
import { applyInventoryEffect } from '../domain/inventory-record.js';
import type { Action, Plan } from '../domain/plan.js';
import { ActionRunner, type ActionRunnerDeps } from './action-runner.js';
import { gatherDiffInput, type DiffSources, type PassMemory } from './diff-inputs.js';
import type { Inventory } from './inventory.js';
import type { RecreateGate } from './recreate-gate.js';

/**
 * What one pass did: the plan it decided (its `kind` says in sync, act, wait or blocked) and the action it
 * ran, if any. `requeueAfterMs` asks for another look even when no event arrives.
 */
export type ReconcileOutcome = Readonly<{
  plan: Plan;
  /** The action this pass ran (the plan's first), absent when it ran none. */
  action?: Action;
  /** The live instance the pass acted on or looked at, when there is one. */
  instanceId: string | null;
  /** Rancher's state of the container the pass looked at (`running`, ...), when there is one: a held key's status shows it. */
  liveState?: string;
  /** The desired instance the pass decided on (undefined for an orphan): drift is judged against it. */
  desired: DesiredInstance | undefined;
  /** Things the operator should see (a moved key, a removed twin), besides the plan's notices. */
  notes: readonly string[];
  /** For `waiting`: how long this key has been waiting, once that exceeds the wait deadline. */
  overdueMs?: number;
  requeueAfterMs?: number;
}>;

/** One pass for one key (controller-runtime's Reconciler). Throw to retry with backoff. */
export interface Reconciler {
  reconcile(key: InstanceKey, signal: AbortSignal): Promise<ReconcileOutcome>;
  /** Drops per-key memory once a key is no longer managed, or its manifest changed. */
  forget(key: InstanceKey): void;
}

export type InstanceReconcilerDeps = Omit<DiffSources, 'recreatePolicy'> &
  Omit<ActionRunnerDeps, 'onCreateInDoubt'> &
  Readonly<{
    /** Told when a create failed in a way that may have created the container anyway (apply's late-commit wait). */
    onCreateInDoubt?: (key: InstanceKey) => void;
    inventory: Inventory;
    clock: Clock;
    log: Logger;
    recreates: RecreateGate;
    /** Start attempts on an instance in `error` before it is reported `blocked`. */
    errorRetries: number;
    /** Fallback look after `wait` or an action when no event arrives. Default 1000 ms. */
    observeAfterMs?: number;
    /** A key waiting longer than this (a transition that never ends) is reported `failed`. Default 10 min. */
    waitDeadlineMs?: number;
  }>;

export class InstanceReconciler implements Reconciler {
  readonly #deps: InstanceReconcilerDeps;
  readonly #sources: DiffSources;
  readonly #runner: ActionRunner;
  readonly #observeAfterMs: number;
  /** Start attempts issued per key while its instance was in error; cleared when in sync. */
  readonly #errorStarts = new Map<InstanceKey, number>();
  /** Keys whose next pass must read their instance fresh when the event stream is down. */
  readonly #stale = new Set<InstanceKey>();
  /** Keys whose last create failed in a way that may have created the container anyway. */
  readonly #createInDoubt = new Set<InstanceKey>();
  /** When each waiting key started waiting. */
  readonly #waitingSince = new Map<InstanceKey, number>();
  /** When each waiting key's container was last read with a GET while the stream was up. */
  readonly #lastFreshRead = new Map<InstanceKey, number>();
  /** Passes run so far: the next pass's `reconcileId`. */
  #passes = 0;

  constructor(deps: InstanceReconcilerDeps) {
    this.#deps = deps;
    this.#sources = { ...deps, recreatePolicy: (key) => deps.recreates.policyFor(key) };
    this.#runner = new ActionRunner({
      ...deps,
      onCreateInDoubt: (key) => {
        this.#createInDoubt.add(key);
        deps.onCreateInDoubt?.(key);
      },
    });
    this.#observeAfterMs = deps.observeAfterMs ?? 1000;
  }

  /** Runs one pass for `key`. Throws API errors; the caller decides retry, backoff or terminal. */
  async reconcile(key: InstanceKey, signal: AbortSignal): Promise<ReconcileOutcome> {
    const { input, target } = await gatherDiffInput(key, this.#sources, this.#memoryOf(key), signal);
    this.#createInDoubt.delete(key);
    const plan = diff(input);
    // every line of one pass shares its reconcileId and the revision (the commit) it works towards
    const log = this.#deps.log.child({ reconcileId: ++this.#passes, revision: this.#deps.desired.revision ?? null });
    const notes = await this.#applyInventoryEffect(key, plan, log);
    const base = { plan, desired: input.desired, notes, instanceId: target?.id ?? this.#deps.inventory.get(key)?.id ?? null, ...(target === undefined ? {} : { liveState: target.state }) };
    if (plan.kind !== 'wait') {
      this.#waitingSince.delete(key);
      this.#lastFreshRead.delete(key);
    }
    switch (plan.kind) {
      case 'in-sync':
        this.#errorStarts.delete(key);
        this.#stale.delete(key);
        return base;
      case 'blocked':
        this.#stale.delete(key);
        return base;
      case 'wait':
        return { ...base, ...this.#waiting(key) };
      case 'act':
        return this.#act(key, plan, plan.actions[0], target, base, { signal, log });
      default:
        return assertNever(plan, 'plan');
    }
  }

  /** Forgets per-key memory: error retry counts, wait times, a create in doubt. */
  forget(key: InstanceKey): void {
    this.#errorStarts.delete(key);
    this.#stale.delete(key);
    this.#waitingSince.delete(key);
    this.#lastFreshRead.delete(key);
    this.#createInDoubt.delete(key);
  }

  #memoryOf(key: InstanceKey): PassMemory {
    return {
      createInDoubt: this.#createInDoubt.has(key),
      readFresh: this.#readFresh(key),
      errorRetriesExhausted: (this.#errorStarts.get(key) ?? 0) >= this.#deps.errorRetries,
    };
  }

  /**
   * Whether this pass reads the owned container with a GET: always for a key being observed while the
   * event stream is down (the polling fallback); while it is up, once a wait has lasted 5 s and then at
   * most every 30 s, so a missed event cannot stall a key until the next resync, at a bounded cost.
   */
  #readFresh(key: InstanceKey): boolean {
    if (!this.#stale.has(key)) return false;
    if (this.#deps.live.streaming === false) return true;
    const now = this.#deps.clock.now();
    const since = this.#waitingSince.get(key);
    if (since === undefined || now - since < 5_000 || now - (this.#lastFreshRead.get(key) ?? 0) < 30_000) return false;
    this.#lastFreshRead.set(key, now);
    return true;
  }

  #waiting(key: InstanceKey): Pick<ReconcileOutcome, 'requeueAfterMs' | 'overdueMs'> {
    this.#stale.add(key);
    const now = this.#deps.clock.now();
    const since = this.#waitingSince.get(key) ?? now;
    this.#waitingSince.set(key, since);
    const waitedMs = now - since;
    const overdue = waitedMs > (this.#deps.waitDeadlineMs ?? 600_000) ? { overdueMs: waitedMs } : {};
    // look again sooner for short waits; a long transition (an image pull) is looked at less and less
    // often, at most every 10 s, which bounds the per-instance GETs of the polling fallback
    const requeueAfterMs = Math.min(10_000, Math.max(this.#observeAfterMs, Math.round(waitedMs / 2)));
    return { requeueAfterMs, ...overdue };
  }

  async #act(
    key: InstanceKey,
    plan: Plan,
    action: Action,
    target: LiveInstance | undefined,
    base: ReconcileOutcome,
    pass: Readonly<{ signal: AbortSignal; log: Logger }>,
  ): Promise<ReconcileOutcome> {
    // a recreate takes its --max-unavailable slot at the removal, a replace at the create of the replacement
    const takesSlot = (action.kind === 'remove' && action.purpose === 'recreate') || (action.kind === 'create' && action.replaces !== undefined);
    if (takesSlot && !(await this.#deps.recreates.tryAcquire(key))) {
      // another pass took the last slot since the inputs were gathered
      return { ...base, plan: { kind: 'wait', reason: 'recreate-paced', message: 'recreate waits for a --max-unavailable slot' }, ...this.#waiting(key) };
    }
    // a start that failed earlier shows as state `error` (after create) or as `stopped` with
    // transitioning `error` (docs/rancher-v1.md, "Lifecycle"): both count against the retry budget
    if (action.kind === 'start' && (target?.state === 'error' || target?.transitioning === 'error')) {
      this.#errorStarts.set(key, (this.#errorStarts.get(key) ?? 0) + 1);
    }
    const result = await this.#runner.run(key, action, target, pass.signal, pass.log);
    this.#stale.add(key);
    const notes = action.kind === 'remove' && action.purpose === 'twin' ? [...base.notes, `removing surplus twin ${action.id}`] : base.notes;
    return { ...base, plan, notes, action, instanceId: action.kind === 'remove' && action.purpose === 'twin' ? (base.instanceId ?? result.id) : result.id, requeueAfterMs: this.#observeAfterMs };
  }

  /** Applies the plan's inventory effect (durably when it records a token or moves a key). */
  async #applyInventoryEffect(key: InstanceKey, plan: Plan, log: Logger): Promise<string[]> {
    const effect = plan.inventory;
    if (effect === undefined) return [];
    const { inventory } = this.#deps;
    const next = applyInventoryEffect(inventory.get(key), effect, this.#nowIso());
    if (next === undefined) {
      if (inventory.get(key) !== undefined) {
        inventory.delete(key);
        log.info({ key }, 'inventory entry forgotten');
      }
      return [];
    }
    if (effect.kind === 'move') {
      inventory.delete(effect.from);
      await inventory.setAndFlush(next);
      log.info({ key, from: effect.from, instanceId: next.id }, 'ownership moved');
      return [`moved from ${effect.from}`];
    }
    // A token recorded as applied (changed while stopped) must be on disk before the start that may
    // follow in this pass: otherwise a crash right after would restart the instance for it on restart.
    if (effect.kind === 'patch' && effect.changes.restartToken !== undefined) await inventory.setAndFlush(next);
    else inventory.set(next);
    if (effect.kind === 'adopt') {
      const recovered = effect.record.origin === 'created';
      log.info({ key, instanceId: next.id }, recovered ? 'ownership recovered from labels' : 'instance adopted');
      return [recovered ? `ownership of ${next.id} recovered from its labels` : `adopted ${next.id}`];
    }
    return [];
  }

  #nowIso(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }
}
