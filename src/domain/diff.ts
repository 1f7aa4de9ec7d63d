/**
 * The pure core of the controller: `diff` turns one key's desired instance, inventory entry and live
 * instances into a Plan. No I/O, clock, logger or randomness; every input maps to exactly one Plan.
 * `plan` and the reconciler both call it with inputs assembled by controller/diff-inputs.ts.
 */
import type { DesiredInstance, LiveInstance } from './instance.js';
import { createOnlyChanges, declaredFields, updatableChanges } from './diff-fields.js';
import { isGone, isDying, isTransitional, type DiffInput } from './diff-input.js';
import { act, isPlan, removeStep, waitTransitioning, withTwins } from './diff-steps.js';
import { keeperOf, resolveTarget, type Target } from './diff-target.js';
import { replaceInProgress, startReplace, startsReplace, surplusReplacements, withRecoveredReplacement } from './replace.js';
import { createdForKey } from './ownership.js';
import { isPruneProtected, withProtection } from './prune-protection.js';
import { holdIfSuspended } from './suspension.js';
import { maskSecrets } from './sensitive.js';
import type { Action, FieldChange, InventoryEffect, InventoryEntry, InventoryPatch, InventoryRecord, Plan } from './plan.js';

export { isGone } from './diff-input.js';
export type { Claim, DiffInput, OwnedLive, RecreatePolicy, RemovalPolicy } from './diff-input.js';

function removeOrphan(input: DiffInput, live: LiveInstance, entry: InventoryEntry | InventoryRecord): Plan {
  // spec.prune: false, recorded while the manifest was there: kept whatever the revision decided
  if (isPruneProtected(entry)) return { kind: 'in-sync', note: 'protected' };
  switch (input.removal ?? 'disabled') {
    case 'disabled':
      return { kind: 'in-sync', note: 'orphan-kept' };
    case 'frozen-incomplete':
      return { kind: 'blocked', reason: 'removal-frozen', message: `manifest for "${input.key}" is gone but the tree did not parse completely: removals are frozen` };
    case 'next-revision':
      return { kind: 'blocked', reason: 'removal-frozen', message: `manifest for "${input.key}" is gone; its removal is decided with the next manifest revision` };
    case 'over-budget':
      return { kind: 'blocked', reason: 'over-delete-budget', message: `manifest for "${input.key}" is gone but this revision is over the delete budget: nothing is removed` };
    case 'allowed': {
      const step = removeStep(live, entry.stopTimeout, 'prune');
      return isPlan(step) ? step : act([step], [{ field: 'state', from: live.state, to: 'removed' }], live);
    }
  }
}

/** No manifest declares the key: keep, remove (within the revision's decision) or forget what it owns. */
function diffOrphan(input: DiffInput): Plan {
  const owned = input.owned;
  if (input.movingTo !== undefined) return { kind: 'in-sync', note: 'moving' };
  if (owned === undefined) {
    // ownership recovered from our labels (the inventory was lost): the orphan rules apply to it
    const keeper = keeperOf(input.named.filter((l) => !isDying(l) && createdForKey(l) === input.key));
    if (keeper === undefined) return { kind: 'in-sync', note: 'unmanaged' };
    const record: InventoryRecord = { key: input.key, id: keeper.id, uuid: keeper.uuid, name: keeper.name ?? input.key, origin: 'created' };
    return { ...removeOrphan(input, keeper, record), inventory: { kind: 'adopt', record } };
  }
  const replacement = input.replacement;
  if (owned.entry.replacement !== undefined && input.removal === 'allowed' && typeof replacement === 'object' && !isDying(replacement)) {
    // a replace was under way: its replacement goes first
    const step = removeStep(replacement, owned.entry.stopTimeout, 'replacement');
    return isPlan(step) ? step : act([step], [{ field: 'state', from: replacement.state, to: 'removed' }], replacement);
  }
  if (owned.live === 'unseen') return { kind: 'wait', reason: 'not-yet-visible', message: `owned ${owned.entry.id} is not in the live view yet` };
  if (owned.live === 'gone' || isGone(owned.live)) return { kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } };
  return removeOrphan(input, owned.live, owned.entry);
}

function createPlan(input: DiffInput, desired: DesiredInstance): Plan {
  const record = {
    ...(desired.restartToken === undefined ? {} : { restartToken: desired.restartToken }),
    ...(desired.stopTimeout === undefined ? {} : { stopTimeout: desired.stopTimeout }),
    // the second half of a recreate: the key keeps its --max-unavailable slot until the new one runs
    ...(input.owned?.entry.recreating === true ? { recreating: true as const } : {}),
    ...(desired.prune === false ? { prune: false as const } : {}),
  };
  return {
    kind: 'act',
    actions: [{ kind: 'create', spec: desired.spec, startOnCreate: desired.state === 'running', record }],
    changes: [...declaredFields(desired.spec), { field: 'state', from: null, to: desired.state }],
  };
}

/** Adds `changes` to an adopt/move record, or turns them into a patch of an existing entry. */
function mergeEffect(effect: InventoryEffect | undefined, changes: InventoryPatch): InventoryEffect | undefined {
  if (Object.keys(changes).length === 0) return effect;
  if (effect?.kind === 'adopt' || effect?.kind === 'move') return { ...effect, record: compactRecord({ ...effect.record, ...changes }) };
  return { kind: 'patch', changes };
}

function compactRecord(record: InventoryRecord): InventoryRecord {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as InventoryRecord;
}

function recreate(input: DiffInput, desired: DesiredInstance, live: LiveInstance, entry: InventoryEntry | InventoryRecord, immutable: readonly FieldChange[]): Plan {
  const policy = input.recreate ?? { kind: 'allowed' };
  if (entry.recreating !== true && policy.kind === 'paced') {
    return { kind: 'wait', reason: 'recreate-paced', message: `recreate waits for a --max-unavailable slot (${policy.limit} in use: ${policy.holders.join(', ')})` };
  }
  const step = removeStep(live, desired.stopTimeout, 'recreate');
  if (isPlan(step)) return step;
  const create = createPlan(input, desired);
  return act([step, ...(create.kind === 'act' ? create.actions : [])], immutable, live);
}

/** What a lost restart answer left behind: confirmed by a higher startCount, else an operator notice. */
function pendingRestartCheck(entry: InventoryEntry | InventoryRecord, live: LiveInstance): { patch: InventoryPatch; notices: string[] } {
  const pending = entry.pendingRestart;
  if (pending === undefined) return { patch: {}, notices: [] };
  if (pending.startCount !== undefined && live.startCount !== undefined && live.startCount > pending.startCount) return { patch: { pendingRestart: undefined }, notices: [] };
  const seen = live.startCount === undefined ? 'Rancher sends no startCount' : `startCount is still ${live.startCount}`;
  return { patch: {}, notices: [`restart for token "${pending.token}" is not confirmed (its answer was lost and ${seen}): change restartToken again if it never happened`] };
}

/** The PUT of name/description, or a block when the new name is taken. */
function updateStep(input: DiffInput, desired: DesiredInstance, live: LiveInstance): Plan | { kind: 'steps'; actions: Action[]; changes: FieldChange[] } {
  const update = updatableChanges(desired.spec, live);
  if (update.changes.name !== undefined) {
    const clash = input.named.filter((l) => l.id !== live.id && !isDying(l) && l.name === update.changes.name);
    if (clash.length > 0) {
      return { kind: 'blocked', reason: 'duplicate-name', message: `cannot rename ${live.id} to "${update.changes.name}": ${clash.map((l) => l.id).join(', ')} already has that name` };
    }
  }
  if (Object.keys(update.changes).length === 0) return { kind: 'steps', actions: [], changes: [] };
  const changes: FieldChange[] = [];
  for (const field of ['name', 'description'] as const) {
    if (update.changes[field] !== undefined) changes.push({ field, from: update.previous[field] ?? null, to: update.changes[field] });
  }
  return { kind: 'steps', actions: [{ kind: 'update', id: live.id, changes: update.changes, previous: update.previous }], changes };
}

/**
 * Start/stop to match `state`, or one restart per new `restartToken` while running; a token change on an
 * instance that is (or is being) stopped or started is recorded (`patch`), not acted on.
 */
function runStateSteps(desired: DesiredInstance, live: LiveInstance, entry: InventoryEntry | InventoryRecord): { actions: Action[]; changes: FieldChange[]; patch: InventoryPatch } {
  const token = desired.restartToken;
  const newToken = token !== undefined && token !== entry.restartToken ? token : undefined;
  const running = live.state === 'running';
  if (desired.state === 'running' && running) {
    if (newToken === undefined) return { actions: [], changes: [], patch: {} };
    return { actions: [{ kind: 'restart', id: live.id, token: newToken }], changes: [{ field: 'restartToken', from: entry.restartToken ?? null, to: newToken }], patch: {} };
  }
  const actions: Action[] = [];
  if (desired.state === 'running') actions.push({ kind: 'start', id: live.id });
  else if (running) actions.push({ kind: 'stop', id: live.id, ...(desired.stopTimeout === undefined ? {} : { timeout: desired.stopTimeout }) });
  const changes: FieldChange[] = desired.state !== (running ? 'running' : 'stopped') ? [{ field: 'state', from: live.state, to: desired.state }] : [];
  return { actions, changes, patch: newToken === undefined ? {} : { restartToken: newToken } };
}

function compareLive(input: DiffInput, desired: DesiredInstance, live: LiveInstance, entry: InventoryEntry | InventoryRecord): Plan {
  if (isTransitional(live)) return waitTransitioning(live);

  const immutable = createOnlyChanges(desired.spec, live);
  if (immutable.length > 0) {
    if (desired.onImmutableChange === 'block') {
      const fields = [...new Set(immutable.map((c) => c.field.split('.')[0]))].join(', ');
      return { kind: 'blocked', reason: 'immutable-field-changed', message: `create-only fields changed: ${fields} (onImmutableChange: block)`, changes: immutable };
    }
    if (desired.onImmutableChange === 'replace') return startReplace(input, desired, live, entry, immutable);
    return recreate(input, desired, live, entry, immutable);
  }

  const exhausted = input.errorRetriesExhausted ?? false;
  const inError = live.state === 'error' || live.transitioning === 'error';
  const canRetryStart = desired.state === 'running' && !exhausted && live.actions.has('start');
  if ((live.state === 'error' && !canRetryStart) || (inError && exhausted)) {
    return { kind: 'blocked', reason: 'live-in-error', message: `${live.id} is in error: ${live.transitioningMessage ?? live.state}` };
  }

  const update = updateStep(input, desired, live);
  if (update.kind !== 'steps') return update;
  const pending = pendingRestartCheck(entry, live);
  const run = runStateSteps(desired, live, entry);
  const actions = [...update.actions, ...run.actions];
  const changes = [...update.changes, ...run.changes];
  const patch: { -readonly [K in keyof InventoryPatch]: InventoryPatch[K] } = { ...pending.patch, ...run.patch };
  if (desired.stopTimeout !== undefined && desired.stopTimeout !== entry.stopTimeout) patch.stopTimeout = desired.stopTimeout;
  // a recreated key gives its slot back once the new container is as declared (running, or stopped)
  if (entry.recreating === true && actions.length === 0) patch.recreating = undefined;

  const plan = act(actions, changes, live);
  const effect = mergeEffect(undefined, patch);
  return { ...plan, ...(effect === undefined ? {} : { inventory: effect }), ...(pending.notices.length === 0 ? {} : { notices: pending.notices }) };
}

function foreignNotices(target: Target, name: string): string[] {
  return target.foreign.map((l) => `"${name}" is also the name of ${l.id}, which this controller did not create and does not own: left alone`);
}

/**
 * Decides what to do for one key. Rules, in order:
 * 1. a manifest issue blocks the key (`manifest-invalid`), touching nothing;
 * 2. no manifest: unowned keys are never touched (containers created for the key, by our labels, are
 *    owned again first); a key being renamed (`movingTo`) is left to its new key; an owned instance is
 *    removed only when `removal` is `allowed` (stop {remove:true, timeout} while running, else the remove
 *    action), blocked when frozen or over budget, kept when pruning is disabled; a gone one is forgotten;
 * 3. the owned instance, else one created by us for this key (recovered), else one owned by a key whose
 *    manifest is gone (moved: a rename), else a unique live instance with the declared name (adopted, its
 *    restart token taken as applied), else create (`startOnCreate` = state running; the token recorded
 *    as applied); several with the name and none owned: `duplicate-name`;
 * 4. surplus twins (same name, created by us for this key, not the target) are removed first;
 * 5. never act while transitioning; create-only differences block (or recreate: remove, then create,
 *    paced by `recreate`); `error` retries start while allowed and offered, else `live-in-error`;
 * 6. PUT name/description, then start/stop to match `state`, or one restart per new `restartToken`
 *    (only while running; otherwise the token is recorded);
 * 7. the first action must be in `live.actions`, else `wait` (`action-not-offered`);
 * 8. a declared `prune: false` is recorded on the entry (prune-protection.ts), and an orphan whose entry
 *    says so is kept (`protected`) whatever the revision decided;
 * 9. a suspended key (`spec.suspend`, or any key with work while the daemon is suspended) is held:
 *    in-sync with note `suspended`/`daemon-suspended`, no action (suspension.ts).
 * The returned `inventory` effect (adopt/move/patch/forget) is applied by the controller before acting.
 */
export function diff(input: DiffInput): Plan {
  const plan = holdIfSuspended(input, withProtection(input, decide(input)));
  const listed = input.desired?.sensitiveEnvironment;
  if (plan.kind === 'act') return { ...plan, changes: maskSecrets(plan.changes, listed) };
  if (plan.kind === 'blocked' && plan.changes !== undefined) return { ...plan, changes: maskSecrets(plan.changes, listed) };
  return plan;
}

function decide(input: DiffInput): Plan {
  if (input.manifestIssue !== undefined) return { kind: 'blocked', reason: 'manifest-invalid', message: input.manifestIssue };
  const desired = input.desired;
  if (desired === undefined) return diffOrphan(input);
  const replacing = replaceInProgress(input, desired, decide);
  if (replacing !== undefined) return replacing;
  const resolved = resolveTarget(input, desired);
  if (isPlan(resolved)) return resolved;
  const target = withRecoveredReplacement(input, desired, resolved);
  const compared = target.live === undefined || target.entry === undefined ? createPlan(input, desired) : compareLive(input, desired, target.live, target.entry);
  // replacements left over (a late-committed twin of one, or one a finished replace did not record) are twins too
  const leftovers = startsReplace(compared) ? [] : surplusReplacements(input, target.live?.id);
  const plan = withTwins(compared, { ...target, twins: [...target.twins, ...leftovers] }, desired);
  // a name clash that blocks the key already names the other container
  const clash = plan.kind === 'blocked' && plan.reason === 'duplicate-name';
  const notices = [...(clash ? [] : foreignNotices(target, desired.spec.name)), ...(plan.notices ?? [])];
  const withNotices: Plan = notices.length === 0 ? plan : { ...plan, notices };
  if (target.effect === undefined) return withNotices;
  // Adoption, recovery or a move: fold any patch from the comparison into the record.
  const patch = withNotices.inventory?.kind === 'patch' ? withNotices.inventory.changes : {};
  return { ...withNotices, inventory: mergeEffect(target.effect, patch) } as Plan;
}
