/**
 * ActionRunner: runs one Plan action against Rancher and records its effect in the inventory. What must
 * survive a crash is on disk before the pass ends: a create (else the next process makes a twin), and a
 * restart token before the restart is even sent (else a crash or a lost answer restarts again): a
 * restart is sent at most once per token, whatever happens.
 */
import type { Clock } from '../clock.js';
import { ApiError, assertNever, neverReachedServer } from '../errors.js';
import type { Logger } from '../logger.js';
import type { InstanceKey, LiveInstance } from '../domain/instance.js';
import { entryAfterAction } from '../domain/inventory-record.js';
import { createIdLabel, ownershipLabels } from '../domain/ownership.js';
import type { Action, RestartAction } from '../domain/plan.js';
import type { InstanceApi, LiveReader } from '../domain/ports.js';
import type { Inventory } from './inventory.js';

export type ActionRunnerDeps = Readonly<{
  api: InstanceApi;
  live: LiveReader;
  inventory: Inventory;
  clock: Clock;
  log: Logger;
  /** Called when a create failed in a way that may have created the container anyway. */
  onCreateInDoubt: (key: InstanceKey) => void;
  /** Called once per surplus twin removed (metrics). */
  onTwinRemoved?: (key: InstanceKey, id: string) => void;
}>;

/** A 4xx answer means Rancher refused the call: nothing happened (everything else is in doubt). */
function refusedByRancher(error: unknown): boolean {
  return error instanceof ApiError && error.status !== undefined && error.status >= 400 && error.status < 500;
}

export class ActionRunner {
  readonly #deps: ActionRunnerDeps;

  constructor(deps: ActionRunnerDeps) {
    this.#deps = deps;
  }

  /**
   * Runs `action` for `key` (`target`: the live container it was decided on). `log` is the pass's logger
   * (it carries `key` and `reconcileId`); default the runner's own. Throws ApiError.
   */
  async run(key: InstanceKey, action: Action, target: LiveInstance | undefined, signal: AbortSignal, log: Logger = this.#deps.log): Promise<LiveInstance> {
    const { inventory, clock } = this.#deps;
    const started = clock.now();
    const result = await this.#call(key, action, target, signal, log);
    this.#deps.live.observe(result, started);
    const current = inventory.get(key);
    const next = action.kind === 'remove' && action.purpose === 'twin' ? current : entryAfterAction(key, current, action, result, this.#nowIso());
    if (next !== undefined && next !== current) {
      if (action.kind === 'create' || action.kind === 'restart') await inventory.setAndFlush(next);
      else inventory.set(next);
    }
    if (action.kind === 'remove' && action.purpose === 'twin') {
      log.warn({ key, instanceId: action.id, action: 'remove' }, 'surplus twin removed');
      this.#deps.onTwinRemoved?.(key, action.id);
    }
    log.info({ key, instanceId: result.id, action: action.kind, state: result.state, durationMs: clock.now() - started }, 'action succeeded');
    return result;
  }

  async #call(key: InstanceKey, action: Action, target: LiveInstance | undefined, signal: AbortSignal, log: Logger): Promise<LiveInstance> {
    const { api } = this.#deps;
    switch (action.kind) {
      case 'create':
        try {
          const spec = { ...action.spec, labels: { ...action.spec.labels, ...ownershipLabels(key) } };
          const inDoubt = (): void => this.#deps.onCreateInDoubt(key);
          return await api.create(spec, { startOnCreate: action.startOnCreate, attemptLabel: createIdLabel, onAttemptInDoubt: inDoubt }, signal);
        } catch (e: unknown) {
          if (!refusedByRancher(e)) this.#deps.onCreateInDoubt(key);
          throw e;
        }
      case 'update':
        return api.update(action.id, action.changes, signal);
      case 'start':
        return api.start(action.id, signal);
      case 'stop':
        return api.stop(action.id, action.timeout === undefined ? {} : { timeout: action.timeout }, signal);
      case 'restart':
        return this.#restart(key, action, target, signal, log);
      case 'remove':
        return action.via === 'stop'
          ? api.stop(action.id, { remove: true, ...(action.timeout === undefined ? {} : { timeout: action.timeout }) }, signal)
          : api.remove(action.id, signal);
      default:
        return assertNever(action, 'action');
    }
  }

  /**
   * A restart is recorded before it is sent (write-ahead): the token as applied, with Rancher's
   * startCount as it was (`pendingRestart`). So neither a crash while it is in flight nor a lost answer
   * can make the next pass restart again for the same token; `diff` later confirms it by a higher
   * startCount. The record is written once the call holds its rate-limiter slot, right before it is
   * sent (`beforeSend`), not while it waits for one: a crash then leaves unconfirmed only the restarts
   * that were about to go out, not every one queued behind the limiter. A write-ahead that fails sends
   * nothing and is undone in memory. Only a call that certainly did nothing (refused by Rancher with a
   * 4xx, or a connection that never reached it) is rolled back, so that the next pass sends it again.
   */
  async #restart(key: InstanceKey, action: RestartAction, target: LiveInstance | undefined, signal: AbortSignal, log: Logger): Promise<LiveInstance> {
    const { inventory, api } = this.#deps;
    const before = inventory.get(key);
    let recorded = before === undefined;
    const writeAhead = async (): Promise<void> => {
      if (before === undefined || recorded) return;
      const startCount = target?.startCount;
      const pendingRestart = { token: action.token, ...(startCount === undefined ? {} : { startCount }) };
      try {
        await inventory.setAndFlush({ ...before, restartToken: action.token, pendingRestart, updatedAt: this.#nowIso() });
      } catch (e: unknown) {
        inventory.set(before); // not written: memory must not keep a token that was never sent
        throw e;
      }
      recorded = true;
    };
    try {
      return await api.restart(action.id, { ...(target?.startCount === undefined ? {} : { startCountBefore: target.startCount }), beforeSend: writeAhead }, signal);
    } catch (e: unknown) {
      if (!recorded) throw e; // never sent: nothing was recorded either
      if (before !== undefined && (refusedByRancher(e) || neverReachedServer(e))) {
        await inventory.setAndFlush({ ...before, updatedAt: this.#nowIso() });
      } else {
        log.warn({ key, instanceId: action.id, token: action.token }, 'restart outcome unknown: token recorded as applied');
      }
      throw e;
    }
  }

  #nowIso(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }
}
