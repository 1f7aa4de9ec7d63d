/**
 * Pure bookkeeping between a Plan and the inventory: how an entry looks after a plan's inventory effect
 * and after one of its actions succeeded. The controller stamps `nowIso`; nothing here reads a clock.
 */
import { assertNever } from '../errors.js';
import type { InstanceKey } from './instance.js';
import type { Action, InventoryEffect, InventoryEntry } from './plan.js';

/** Drops keys whose value is undefined, so entries serialise the same whichever path built them. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The key's entry after applying `effect` to `current`. `undefined` means "no entry" (delete the key).
 * A `patch` without a current entry yields `undefined`: there is nothing to patch.
 */
export function applyInventoryEffect(
  current: InventoryEntry | undefined,
  effect: InventoryEffect,
  nowIso: string,
): InventoryEntry | undefined {
  switch (effect.kind) {
    case 'adopt':
      return compact({ ...effect.record, createdAt: nowIso, updatedAt: nowIso });
    case 'move':
      // the container keeps its history: a rename is not a new entry
      return compact({ ...effect.record, createdAt: current?.createdAt ?? nowIso, updatedAt: nowIso });
    case 'patch':
      return current === undefined ? undefined : compact({ ...current, ...effect.changes, updatedAt: nowIso });
    case 'forget':
      return undefined;
    default:
      return assertNever(effect, 'inventory effect');
  }
}

/**
 * The key's entry after `action` succeeded and Rancher answered with `result`:
 * - create: a new entry (origin `created`) with the action's restart token taken as applied (and its
 *   `prune: false` protection, when the manifest says so); a
 *   replacement is recorded as the entry's `replacement` (the entry still owns the old container);
 * - update: the new name is recorded;
 * - restart: the action's token is recorded as applied (exactly one restart per token);
 * - start, stop, remove: unchanged (a removed entry is forgotten once diff sees the instance gone).
 */
export function entryAfterAction(
  key: InstanceKey,
  current: InventoryEntry | undefined,
  action: Action,
  result: Readonly<{ id: string; uuid: string | null }>,
  nowIso: string,
): InventoryEntry | undefined {
  switch (action.kind) {
    case 'create':
      if (action.replaces !== undefined && current !== undefined) {
        return applyInventoryEffect(current, { kind: 'patch', changes: { replacement: { id: result.id, uuid: result.uuid } } }, nowIso);
      }
      return compact<InventoryEntry>({
        key,
        id: result.id,
        uuid: result.uuid,
        name: action.spec.name,
        origin: 'created',
        restartToken: action.record.restartToken,
        stopTimeout: action.record.stopTimeout,
        recreating: action.record.recreating,
        prune: action.record.prune,
        createdAt: nowIso,
        updatedAt: nowIso,
      });
    case 'update':
      return action.changes.name === undefined ? current : applyInventoryEffect(current, { kind: 'patch', changes: { name: action.changes.name } }, nowIso);
    case 'restart':
      return applyInventoryEffect(current, { kind: 'patch', changes: { restartToken: action.token, pendingRestart: undefined } }, nowIso);
    case 'start':
    case 'stop':
    case 'remove':
      return current;
    default:
      return assertNever(action, 'action');
  }
}
