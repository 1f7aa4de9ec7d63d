/**
 * The pure core of the controller: `diff` turns one key's desired instance, inventory entry and live
 * instances into a Plan. No I/O, clock, logger or randomness; every input maps to exactly one Plan.
 */
import type { DesiredInstance, InstanceKey, LiveInstance } from './instance.js';
import { createOnlyChanges, updatableChanges } from './diff-fields.js';
import type { Action, FieldChange, InventoryEffect, InventoryEntry, InventoryPatch, InventoryRecord, Plan, RemoveAction } from './plan.js';

/**
 * The owned instance as the controller found it: the live instance (removed ones included), `'gone'`
 * when it is confirmed absent (404 on GET by id, or dropped by a complete re-list), or `'unseen'` when the
 * cache does not know the id yet and absence is not confirmed (diff then waits, never creates a twin).
 */
export type OwnedLive = LiveInstance | 'gone' | 'unseen';

/**
 * Whether the controller may remove orphans in this revision (see prune-budget.ts `removalPolicyFor`):
 * `disabled` without --prune, `frozen-incomplete` while a manifest is invalid, `over-budget` when the
 * revision wants more removals than the delete budget.
 */
export type RemovalPolicy = 'disabled' | 'allowed' | 'frozen-incomplete' | 'over-budget';

/** Everything `diff` looks at for one key. */
export type DiffInput = Readonly<{
  key: InstanceKey;
  /** undefined: no manifest declares the key (an orphan when owned). */
  desired: DesiredInstance | undefined;
  /** Set when the file that declared the key fails to parse/validate: the key is left exactly as it is. */
  manifestIssue?: string;
  owned?: Readonly<{ entry: InventoryEntry; live: OwnedLive }>;
  /** Live instances named `desired.spec.name` (removed ones are ignored). Used to adopt and detect clashes. */
  named: readonly LiveInstance[];
  /** Ids among `named` that other keys own: never adopted, and never shared by creating a twin. */
  claimed?: ReadonlySet<string>;
  /** Default `disabled`. */
  removal?: RemovalPolicy;
  /** The live instance is in error and the controller's start-retry budget for it is spent. Default false. */
  errorRetriesExhausted?: boolean;
}>;

const goneStates: ReadonlySet<string> = new Set(['removed', 'purging', 'purged']);
/** API.md 5.3 transitioning states, plus `requested` (create has not run yet) and `restoring` (<= 1.5). */
const transitionalStates: ReadonlySet<string> = new Set([
  'requested',
  'creating',
  'starting',
  'stopping',
  'restarting',
  'removing',
  'purging',
  'updating-running',
  'updating-stopped',
  'migrating',
  'erroring',
  'restoring',
]);

/** Removed, purging or purged: the instance is as good as gone. */
export function isGone(live: LiveInstance): boolean {
  return live.removed || goneStates.has(live.state);
}

function isDying(live: LiveInstance): boolean {
  return isGone(live) || live.state === 'removing';
}

function isTransitional(live: LiveInstance): boolean {
  return live.transitioning === 'yes' || transitionalStates.has(live.state);
}

function withEffect(plan: Plan, effect: InventoryEffect | undefined): Plan {
  return effect === undefined ? plan : { ...plan, inventory: effect };
}

function waitTransitioning(live: LiveInstance): Plan {
  return { kind: 'wait', reason: 'transitioning', message: `${live.id} is ${live.state}: ${live.transitioningMessage ?? 'In Progress'}` };
}

function notOffered(action: Action, live: LiveInstance): Plan {
  return { kind: 'wait', reason: 'action-not-offered', message: `${live.id} in state ${live.state} does not offer "${action.kind}"` };
}

/** The Rancher action name an action needs in `live.actions`; PUT and POST need none. */
function requiredAction(action: Action): string | undefined {
  if (action.kind === 'create' || action.kind === 'update') return undefined;
  if (action.kind === 'remove') return action.via;
  return action.kind;
}

/** The first action must be offered by the live `actions` map; later ones are previews for plan output. */
function act(actions: readonly Action[], changes: readonly FieldChange[], live: LiveInstance | undefined): Plan {
  const [first, ...rest] = actions;
  if (first === undefined) return { kind: 'in-sync' };
  const needed = requiredAction(first);
  if (live !== undefined && needed !== undefined && !live.actions.has(needed)) return notOffered(first, live);
  return { kind: 'act', actions: [first, ...rest], changes };
}

/** How to remove `live`: stop {remove:true} while running, the remove action from stopped/error/requested. */
function removeStep(live: LiveInstance, timeout: number | undefined, purpose: RemoveAction['purpose']): RemoveAction | Plan {
  if (live.state === 'running' && live.transitioning !== 'yes') {
    return { kind: 'remove', id: live.id, via: 'stop', ...(timeout === undefined ? {} : { timeout }), purpose };
  }
  if (['stopped', 'error', 'requested'].includes(live.state) && live.transitioning !== 'yes') {
    return { kind: 'remove', id: live.id, via: 'remove', purpose };
  }
  return waitTransitioning(live);
}

function isPlan(step: RemoveAction | Plan): step is Plan {
  return step.kind === 'in-sync' || step.kind === 'wait' || step.kind === 'act' || step.kind === 'blocked';
}

function diffOrphan(input: DiffInput): Plan {
  const owned = input.owned;
  if (owned === undefined) return { kind: 'in-sync', note: 'unmanaged' };
  if (owned.live === 'unseen') return { kind: 'wait', reason: 'not-yet-visible', message: `owned ${owned.entry.id} is not in the live view yet` };
  if (owned.live === 'gone' || isGone(owned.live)) return { kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } };
  const live = owned.live;
  const removal = input.removal ?? 'disabled';
  switch (removal) {
    case 'disabled':
      return { kind: 'in-sync', note: 'orphan-kept' };
    case 'frozen-incomplete':
      return { kind: 'blocked', reason: 'removal-frozen', message: `manifest for "${input.key}" is gone but the tree did not parse completely: removals are frozen` };
    case 'over-budget':
      return { kind: 'blocked', reason: 'over-delete-budget', message: `manifest for "${input.key}" is gone but this revision is over the delete budget: nothing is removed` };
    case 'allowed': {
      const step = removeStep(live, owned.entry.stopTimeout, 'prune');
      return isPlan(step) ? step : act([step], [{ field: 'state', from: live.state, to: 'removed' }], live);
    }
  }
}

/** Finds the live instance for a declared key: the owned one, else a unique one by name (adopted). */
function resolveTarget(
  input: DiffInput,
  desired: DesiredInstance,
): Plan | Readonly<{ target: LiveInstance | undefined; entry: InventoryEntry | InventoryRecord | undefined; effect?: InventoryEffect }> {
  const owned = input.owned;
  if (owned?.live === 'unseen') return { kind: 'wait', reason: 'not-yet-visible', message: `owned ${owned.entry.id} is not in the live view yet` };
  if (owned !== undefined && owned.live !== 'gone' && !isGone(owned.live)) return { target: owned.live, entry: owned.entry };
  // Not owned, or the owned instance is gone (purged, removed by hand): losing things is safe, look by name.
  const all = input.named.filter((l) => !isDying(l) && l.name === desired.spec.name);
  const taken = all.filter((l) => input.claimed?.has(l.id) === true);
  if (taken.length > 0) {
    const ids = taken.map((l) => l.id).join(', ');
    return { kind: 'blocked', reason: 'duplicate-name', message: `"${desired.spec.name}" is already the name of ${ids}, owned by another manifest (an orphan kept without --prune?): rename one of them` };
  }
  const candidates = all;
  if (candidates.length > 1) {
    const ids = candidates.map((l) => l.id).join(', ');
    return { kind: 'blocked', reason: 'duplicate-name', message: `${candidates.length} containers are named "${desired.spec.name}" (${ids}): none is owned, remove or rename all but one` };
  }
  const [found] = candidates;
  if (found === undefined) return { target: undefined, entry: undefined };
  const record: InventoryRecord = {
    key: input.key,
    id: found.id,
    uuid: found.uuid,
    name: desired.spec.name,
    origin: 'adopted',
    // Adoption takes the current token as applied: an existing instance is never restarted for it.
    ...(desired.restartToken === undefined ? {} : { restartToken: desired.restartToken }),
    ...(desired.stopTimeout === undefined ? {} : { stopTimeout: desired.stopTimeout }),
  };
  return { target: found, entry: record, effect: { kind: 'adopt', record } };
}

function createPlan(desired: DesiredInstance): Plan {
  const record = {
    ...(desired.restartToken === undefined ? {} : { restartToken: desired.restartToken }),
    ...(desired.stopTimeout === undefined ? {} : { stopTimeout: desired.stopTimeout }),
  };
  return {
    kind: 'act',
    actions: [{ kind: 'create', spec: desired.spec, startOnCreate: desired.state === 'running', record }],
    changes: [{ field: 'state', from: null, to: desired.state }],
  };
}

/** Adds `changes` to an adopt record, or turns them into a patch of an existing entry. */
function mergeEffect(effect: InventoryEffect | undefined, changes: InventoryPatch): InventoryEffect | undefined {
  if (Object.keys(changes).length === 0) return effect;
  if (effect?.kind === 'adopt') return { kind: 'adopt', record: { ...effect.record, ...changes } };
  return { kind: 'patch', changes };
}

function compareLive(input: DiffInput, desired: DesiredInstance, live: LiveInstance, entry: InventoryEntry | InventoryRecord): Plan {
  if (isTransitional(live)) return waitTransitioning(live);

  const immutable = createOnlyChanges(desired.spec, live);
  if (immutable.length > 0) {
    if (desired.onImmutableChange === 'block') {
      const fields = [...new Set(immutable.map((c) => c.field.split('.')[0]))].join(', ');
      return { kind: 'blocked', reason: 'immutable-field-changed', message: `create-only fields changed: ${fields} (onImmutableChange: block)`, changes: immutable };
    }
    const step = removeStep(live, desired.stopTimeout, 'recreate');
    if (isPlan(step)) return step;
    const create = createPlan(desired);
    return act([step, ...(create.kind === 'act' ? create.actions : [])], immutable, live);
  }

  const exhausted = input.errorRetriesExhausted ?? false;
  const inError = live.state === 'error' || live.transitioning === 'error';
  const canRetryStart = desired.state === 'running' && !exhausted && live.actions.has('start');
  if ((live.state === 'error' && !canRetryStart) || (inError && exhausted)) {
    return { kind: 'blocked', reason: 'live-in-error', message: `${live.id} is in error: ${live.transitioningMessage ?? live.state}` };
  }

  const actions: Action[] = [];
  const changes: FieldChange[] = [];
  const patch: { restartToken?: string; stopTimeout?: number } = {};

  const update = updatableChanges(desired.spec, live);
  if (update.changes.name !== undefined) {
    const clash = input.named.filter((l) => l.id !== live.id && !isDying(l) && l.name === update.changes.name);
    if (clash.length > 0) {
      return { kind: 'blocked', reason: 'duplicate-name', message: `cannot rename ${live.id} to "${update.changes.name}": ${clash.map((l) => l.id).join(', ')} already has that name` };
    }
  }
  if (Object.keys(update.changes).length > 0) {
    actions.push({ kind: 'update', id: live.id, changes: update.changes, previous: update.previous });
    for (const field of ['name', 'description'] as const) {
      if (update.changes[field] !== undefined) changes.push({ field, from: update.previous[field] ?? null, to: update.changes[field] });
    }
  }

  const token = desired.restartToken;
  const newToken = token !== undefined && token !== entry.restartToken ? token : undefined;
  const running = live.state === 'running';
  if (desired.state === 'running' && running) {
    if (newToken !== undefined) {
      actions.push({ kind: 'restart', id: live.id, token: newToken });
      changes.push({ field: 'restartToken', from: entry.restartToken ?? null, to: newToken });
    }
  } else {
    // A token change on an instance that is (or is being) stopped or started is recorded, not acted on.
    if (newToken !== undefined) patch.restartToken = newToken;
    if (desired.state === 'running') actions.push({ kind: 'start', id: live.id });
    else if (running) actions.push({ kind: 'stop', id: live.id, ...(desired.stopTimeout === undefined ? {} : { timeout: desired.stopTimeout }) });
    if (desired.state !== (running ? 'running' : 'stopped')) changes.push({ field: 'state', from: live.state, to: desired.state });
  }
  if (desired.stopTimeout !== undefined && desired.stopTimeout !== entry.stopTimeout) patch.stopTimeout = desired.stopTimeout;

  const effect = mergeEffect(undefined, patch);
  return withEffect(act(actions, changes, live), effect);
}

/**
 * Decides what to do for one key. Rules, in order:
 * 1. a manifest issue blocks the key (`manifest-invalid`), touching nothing;
 * 2. no manifest: unowned keys are never touched; an owned instance is removed only when `removal` is
 *    `allowed` (stop {remove:true, timeout} while running, else the remove action), blocked when frozen or
 *    over budget, kept when pruning is disabled; a gone one is forgotten;
 * 3. the owned instance, else a unique live instance with the declared name (adopted, its restart token
 *    taken as applied), else create (`startOnCreate` = state running; the token recorded as applied);
 *    several with the name and none owned: `duplicate-name`;
 * 4. never act while transitioning; create-only differences block (or recreate: remove, then create);
 *    `error` retries start while allowed and offered, else `live-in-error`;
 * 5. PUT name/description, then start/stop to match `state`, or one restart per new `restartToken`
 *    (only while running; otherwise the token is recorded);
 * 6. the first action must be in `live.actions`, else `wait` (`action-not-offered`).
 * The returned `inventory` effect (adopt/patch/forget) is applied by the controller before acting.
 */
export function diff(input: DiffInput): Plan {
  if (input.manifestIssue !== undefined) return { kind: 'blocked', reason: 'manifest-invalid', message: input.manifestIssue };
  const desired = input.desired;
  if (desired === undefined) return diffOrphan(input);
  const resolved = resolveTarget(input, desired);
  if ('kind' in resolved) return resolved;
  if (resolved.target === undefined || resolved.entry === undefined) return createPlan(desired);
  const plan = compareLive(input, desired, resolved.target, resolved.entry);
  if (resolved.effect === undefined) return plan;
  // Adoption: fold any patch from the comparison into the adopt record.
  const patch = plan.inventory?.kind === 'patch' ? plan.inventory.changes : {};
  return { ...plan, inventory: mergeEffect(resolved.effect, patch) } as Plan;
}
