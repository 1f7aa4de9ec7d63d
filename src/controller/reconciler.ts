/**
 * InstanceReconciler: one pass for one key. It reads the desired state (manifest store), the inventory
 * entry and the live state (cache, with a GET by id only to confirm an owned instance is gone), asks the
 * pure `diff` for a Plan, applies the plan's inventory effect, runs at most the first action, and says
 * when to look again. It throws ApiError (and friends) for the controller to turn into retries.
 */
import type { Clock } from '../clock.js';
import { ApiError, assertNever } from '../errors.js';
import type { Logger } from '../logger.js';
import { diff, type OwnedLive, type RemovalPolicy } from '../domain/diff.js';
import type { InstanceKey, LiveInstance } from '../domain/instance.js';
import { applyInventoryEffect, entryAfterAction } from '../domain/inventory-record.js';
import type { Action, InventoryEntry, Plan } from '../domain/plan.js';
import type { InstanceApi, LiveReader } from '../domain/ports.js';
import type { DesiredReader } from '../manifest/store.js';
import { formatIssue } from '../manifest/issues.js';
import type { Inventory } from './inventory.js';

/** What one pass did. `requeueAfterMs` asks for another look even when no event arrives. */
export type ReconcileOutcome = Readonly<{
  plan: Plan;
  result: 'in-sync' | 'acted' | 'waiting' | 'blocked';
  action?: Action;
  /** The live instance the pass acted on or looked at, when there is one. */
  instanceId: string | null;
  /** For `waiting`: how long this key has been waiting, once that exceeds the wait deadline. */
  overdueMs?: number;
  requeueAfterMs?: number;
}>;

/** One pass for one key (controller-runtime's Reconciler). Throw to retry with backoff. */
export interface Reconciler {
  reconcile(key: InstanceKey, signal: AbortSignal): Promise<ReconcileOutcome>;
  /** Drops per-key memory once a key is no longer managed. */
  forget(key: InstanceKey): void;
}

export type InstanceReconcilerDeps = Readonly<{
  desired: DesiredReader;
  live: LiveReader & { readonly streaming?: boolean };
  api: InstanceApi;
  inventory: Inventory;
  clock: Clock;
  log: Logger;
  /** The per-revision removal decision for a key (see prune-budget.ts). */
  removalPolicy: (key: InstanceKey) => RemovalPolicy;
  /** Start attempts on an instance in `error` before it is reported `blocked`. */
  errorRetries: number;
  /** Fallback look after `wait` or an action when no event arrives. Default 1000 ms. */
  observeAfterMs?: number;
  /** A key waiting longer than this (a transition that never ends) is reported `failed`. Default 10 min. */
  waitDeadlineMs?: number;
}>;

export class InstanceReconciler implements Reconciler {
  readonly #deps: InstanceReconcilerDeps;
  readonly #observeAfterMs: number;
  /** Start attempts issued per key while its instance was in error; cleared when in sync. */
  readonly #errorStarts = new Map<InstanceKey, number>();
  /** Keys whose next pass must read their instance fresh when the event stream is down. */
  readonly #stale = new Set<InstanceKey>();
  /**
   * Keys whose last create failed in a way that may have created the container anyway (its answer was
   * lost and the client's own look-ups gave up): the next pass asks Rancher by name before anything else,
   * since the cache may not show the container yet.
   */
  readonly #createInDoubt = new Set<InstanceKey>();
  /** When each waiting key started waiting. */
  readonly #waitingSince = new Map<InstanceKey, number>();

  constructor(deps: InstanceReconcilerDeps) {
    this.#deps = deps;
    this.#observeAfterMs = deps.observeAfterMs ?? 1000;
  }

  /** Runs one pass for `key`. Throws API errors; the caller decides retry, backoff or terminal. */
  async reconcile(key: InstanceKey, signal: AbortSignal): Promise<ReconcileOutcome> {
    const { desired: store, inventory, live: cache } = this.#deps;
    const desired = store.get(key);
    const issue = store.blockedBy(key);
    if (desired !== undefined && this.#createInDoubt.has(key)) {
      for (const found of await this.#deps.api.findByName(desired.spec.name, signal)) cache.observe(found);
      this.#createInDoubt.delete(key);
    }
    const entry = inventory.get(key);
    const owned = entry === undefined ? undefined : { entry, live: await this.#ownedLive(key, entry, signal) };
    // A container another key owns is never adopted by this one, even when the names collide.
    const named = desired === undefined ? [] : cache.byName(desired.spec.name);
    // containers other keys own: never adopted, and their names are never shared by a twin
    const claimed = new Set(named.filter((l) => (inventory.ownerOf(l.id) ?? key) !== key).map((l) => l.id));
    const plan = diff({
      key,
      desired,
      ...(issue === undefined ? {} : { manifestIssue: formatIssue(issue) }),
      ...(owned === undefined ? {} : { owned }),
      named,
      claimed,
      removal: this.#deps.removalPolicy(key),
      errorRetriesExhausted: (this.#errorStarts.get(key) ?? 0) >= this.#deps.errorRetries,
    });
    await this.#applyInventoryEffect(key, plan);
    const target = owned !== undefined && typeof owned.live === 'object' ? owned.live : named.length === 1 ? named[0] : undefined;
    const instanceId = target?.id ?? entry?.id ?? null;
    if (plan.kind !== 'wait') this.#waitingSince.delete(key);

    switch (plan.kind) {
      case 'in-sync':
        this.#errorStarts.delete(key);
        this.#stale.delete(key);
        return { plan, result: 'in-sync', instanceId };
      case 'blocked':
        this.#stale.delete(key);
        return { plan, result: 'blocked', instanceId };
      case 'wait': {
        this.#stale.add(key);
        const now = this.#deps.clock.now();
        const since = this.#waitingSince.get(key) ?? now;
        this.#waitingSince.set(key, since);
        const waitedMs = now - since;
        const overdue = waitedMs > (this.#deps.waitDeadlineMs ?? 600_000) ? { overdueMs: waitedMs } : {};
        // look again sooner for short waits; a long transition (an image pull) is looked at less and less
        // often, at most every 10 s, which bounds the per-instance GETs of the polling fallback
        const requeueAfterMs = Math.min(10_000, Math.max(this.#observeAfterMs, Math.round(waitedMs / 2)));
        return { plan, result: 'waiting', instanceId, requeueAfterMs, ...overdue };
      }
      case 'act': {
        const action = plan.actions[0];
        // a start that failed earlier shows as state `error` (after create) or as `stopped` with
        // transitioning `error` (API.md 5.4): both count against the retry budget
        if (action.kind === 'start' && (target?.state === 'error' || target?.transitioning === 'error')) {
          this.#errorStarts.set(key, (this.#errorStarts.get(key) ?? 0) + 1);
        }
        const result = await this.#run(key, action, signal);
        this.#stale.add(key);
        return { plan, result: 'acted', action, instanceId: result.id, requeueAfterMs: this.#observeAfterMs };
      }
      default:
        return assertNever(plan, 'plan');
    }
  }

  /** Forgets per-key memory (error retry counts) when a key stops being managed. */
  forget(key: InstanceKey): void {
    this.#errorStarts.delete(key);
    this.#stale.delete(key);
    this.#waitingSince.delete(key);
  }

  /**
   * The owned instance: from the cache, or — when the cache does not know the id, or the event stream is
   * down and this key is being observed — from one GET by id, which also tells "gone" (404) apart.
   */
  async #ownedLive(key: InstanceKey, entry: InventoryEntry, signal: AbortSignal): Promise<OwnedLive> {
    const cache = this.#deps.live;
    const cached = cache.get(entry.id);
    const pollingFallback = cache.streaming === false && this.#stale.has(key);
    let found = cached !== undefined && !pollingFallback ? cached : undefined;
    if (found === undefined) {
      if (!cache.ready) return 'unseen';
      found = await this.#deps.api.get(entry.id, signal);
      if (found === undefined) return 'gone';
      cache.observe(found);
    }
    // The same id with another uuid is another container (a rebuilt server reuses ids): ours is gone.
    if (entry.uuid !== null && found.uuid !== null && found.uuid !== entry.uuid) {
      this.#deps.log.warn({ key, instanceId: entry.id, uuid: found.uuid, ownedUuid: entry.uuid }, 'owned id now names another container');
      return 'gone';
    }
    return found;
  }

  async #applyInventoryEffect(key: InstanceKey, plan: Plan): Promise<void> {
    if (plan.inventory === undefined) return;
    const { inventory } = this.#deps;
    const next = applyInventoryEffect(inventory.get(key), plan.inventory, this.#nowIso());
    if (next === undefined) {
      if (inventory.get(key) !== undefined) {
        inventory.delete(key);
        this.#deps.log.info({ key }, 'inventory entry forgotten');
      }
      return;
    }
    // A token recorded as applied (changed while stopped) must be on disk before the start that may
    // follow in this pass: otherwise a crash right after would restart the instance for it on restart.
    if (plan.inventory.kind === 'patch' && plan.inventory.changes.restartToken !== undefined) await inventory.setAndFlush(next);
    else inventory.set(next);
    if (plan.inventory.kind === 'adopt') this.#deps.log.info({ key, instanceId: next.id }, 'instance adopted');
  }

  async #run(key: InstanceKey, action: Action, signal: AbortSignal): Promise<LiveInstance> {
    const { api, inventory, log } = this.#deps;
    const started = this.#deps.clock.now();
    let result: LiveInstance;
    switch (action.kind) {
      case 'create':
        try {
          result = await api.create(action.spec, { startOnCreate: action.startOnCreate }, signal);
        } catch (e: unknown) {
          if (!refusedByRancher(e)) this.#createInDoubt.add(key);
          throw e;
        }
        break;
      case 'update':
        result = await api.update(action.id, action.changes, signal);
        break;
      case 'start':
        result = await api.start(action.id, signal);
        break;
      case 'stop':
        result = await api.stop(action.id, action.timeout === undefined ? {} : { timeout: action.timeout }, signal);
        break;
      case 'restart':
        result = await api.restart(action.id, signal);
        break;
      case 'remove':
        result =
          action.via === 'stop'
            ? await api.stop(action.id, { remove: true, ...(action.timeout === undefined ? {} : { timeout: action.timeout }) }, signal)
            : await api.remove(action.id, signal);
        break;
      default:
        return assertNever(action, 'action');
    }
    this.#deps.live.observe(result);
    const current = inventory.get(key);
    const next = entryAfterAction(key, current, action, result, this.#nowIso());
    // A create or a restart must be on disk before the pass ends: after a crash, the next process must
    // neither create a twin nor restart again for the same token.
    if (next !== undefined && next !== current) {
      if (action.kind === 'create' || action.kind === 'restart') await inventory.setAndFlush(next);
      else inventory.set(next);
    }
    log.info({ key, instanceId: result.id, action: action.kind, state: result.state, durationMs: this.#deps.clock.now() - started }, 'action succeeded');
    return result;
  }

  #nowIso(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }
}

/** A 4xx answer means Rancher refused the call: nothing was created (everything else is in doubt). */
function refusedByRancher(error: unknown): boolean {
  return error instanceof ApiError && error.status !== undefined && error.status >= 400 && error.status < 500;
}
