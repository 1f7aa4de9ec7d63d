/**
 * `onImmutableChange: replace`, part of `diff` (pure): the new container is created beside the old one
 * under a temporary name, and only once it runs (and is healthy, when Rancher reports a health state) is
 * the old one removed and the new one renamed to the declared name. Whenever the new container cannot
 * run, the old one keeps running: the key is then `replace-failed` until the manifest changes (the failed
 * replacement no longer matches and is removed) or someone removes the replacement.
 *
 * One step per pass, each decided from what Rancher shows, so a crash or a lost answer anywhere resumes
 * at the right step:
 * 1. create `<name>-next` (our labels mark it as created for the key); recorded as the entry's
 *    `replacement` (a lost answer is found again by that name and those labels);
 * 2. wait until it is in the declared run state and healthy;
 * 3. remove the old container (stop {remove: true} while running);
 * 4. once the old one is going, the entry moves over to the replacement and the ordinary comparison
 *    renames it (PUT name).
 * The key holds a `--max-unavailable` slot from step 1 until the renamed container is as declared, so a
 * failing image stops a rollout after `--max-unavailable` instances.
 */
import { createOnlyChanges } from './diff-fields.js';
import { isDying, isGone, isTransitional, type DiffInput, type OwnedLive } from './diff-input.js';
import { act, isPlan, removeStep, withTwins } from './diff-steps.js';
import { recordFor, type Target } from './diff-target.js';
import type { DesiredInstance, LiveInstance } from './instance.js';
import type { Action, FieldChange, InventoryEntry, InventoryRecord, Plan } from './plan.js';

/** The temporary name of a key's replacement: `<name>-next` (the name cut to stay within 255 characters). */
export function replacementName(name: string): string {
  return `${name.slice(0, 250)}-next`;
}

type Entry = InventoryEntry | InventoryRecord;

function replacing(message: string, extra: Partial<Plan> = {}): Plan {
  return { kind: 'wait', reason: 'replacing', message, ...extra } as Plan;
}

/** The rename that ends a replace, shown in plan output (run by the ordinary comparison). */
function renamePreview(desired: DesiredInstance, id: string, name: string): Action {
  return { kind: 'update', id, changes: { name: desired.spec.name }, previous: { name } };
}

/** Why `candidate` will not become what the manifest declares, or undefined while it still may. */
function failureOf(candidate: LiveInstance, desired: DesiredInstance): string | undefined {
  if (candidate.state === 'error' || candidate.transitioning === 'error') return candidate.transitioningMessage ?? `it is in state ${candidate.state}`;
  if (desired.state === 'running' && candidate.healthState === 'unhealthy') return 'its health check reports unhealthy';
  if (desired.state === 'running' && candidate.state === 'stopped') return 'it stopped after it was started';
  return undefined;
}

/** In the declared run state and, when it runs with a health check, healthy. */
function isReady(candidate: LiveInstance, desired: DesiredInstance): boolean {
  if (candidate.state !== desired.state) return false;
  return desired.state === 'stopped' || candidate.healthState === undefined || candidate.healthState === 'healthy';
}

/**
 * Step 1 (called by `diff` when create-only fields differ and the policy is `replace`): the create of
 * the replacement, paced like a recreate; or the replacement already there (found by name and labels
 * after a lost answer), recorded.
 */
export function startReplace(input: DiffInput, desired: DesiredInstance, old: LiveInstance, entry: Entry, immutable: readonly FieldChange[]): Plan {
  const found = input.candidates?.find((c) => c.id !== old.id && !isDying(c));
  if (found !== undefined) {
    const replacement = { id: found.id, uuid: found.uuid };
    return replacing(`found replacement ${found.id} ("${found.name ?? ''}") of ${old.id}`, { inventory: { kind: 'patch', changes: { replacement } } });
  }
  const policy = input.recreate ?? { kind: 'allowed' };
  if (entry.recreating !== true && policy.kind === 'paced') {
    return { kind: 'wait', reason: 'recreate-paced', message: `replace waits for a --max-unavailable slot (${policy.limit} in use: ${policy.holders.join(', ')})` };
  }
  const name = replacementName(desired.spec.name);
  const create: Action = { kind: 'create', spec: { ...desired.spec, name }, startOnCreate: desired.state === 'running', replaces: old.id, record: {} };
  const remove: Action = { kind: 'remove', id: old.id, via: old.state === 'running' ? 'stop' : 'remove', ...(desired.stopTimeout === undefined ? {} : { timeout: desired.stopTimeout }), purpose: 'replace' };
  return act([create, remove, renamePreview(desired, name, name)], immutable, undefined);
}

/**
 * Steps 2-4, for a key whose entry has a `replacement` (or a replacement found by name). Returns
 * undefined when the replace is over and the ordinary comparison takes the key (after the move, `owned`
 * names the replacement: see `promoted`).
 */
export function continueReplace(input: DiffInput, desired: DesiredInstance, entry: Entry, old: OwnedLive): Plan {
  const recorded = entry.replacement;
  if (recorded === undefined) throw new Error('continueReplace needs an entry with a replacement');
  const candidate = input.replacement ?? 'unseen';
  if (candidate === 'unseen') return { kind: 'wait', reason: 'not-yet-visible', message: `replacement ${recorded.id} is not in the live view yet` };
  if (candidate === 'gone' || isGone(candidate)) {
    return replacing(`replacement ${recorded.id} is gone: the replace starts over`, { inventory: { kind: 'patch', changes: { replacement: undefined } } });
  }
  if (isTransitional(candidate)) return replacing(`replacement ${candidate.id} is ${candidate.state}: ${candidate.transitioningMessage ?? 'In Progress'}`);
  const outdated = createOnlyChanges(desired.spec, candidate);
  if (outdated.length > 0) {
    const remove: Action = { kind: 'remove', id: candidate.id, via: candidate.state === 'running' ? 'stop' : 'remove', purpose: 'replacement' };
    return act([remove], outdated, candidate);
  }
  const oldLive = typeof old === 'object' ? old : undefined;
  const failure = failureOf(candidate, desired);
  if (failure !== undefined) {
    const keeps = oldLive === undefined ? '' : `; ${oldLive.id} keeps running`;
    return { kind: 'blocked', reason: 'replace-failed', message: `replacement ${candidate.id} ("${candidate.name ?? ''}") failed: ${failure}${keeps}. Change the manifest to try again, or remove ${candidate.id}` };
  }
  if (!isReady(candidate, desired)) {
    const health = candidate.healthState === undefined ? '' : ` (health: ${candidate.healthState})`;
    return replacing(`waiting for replacement ${candidate.id} to be ${desired.state === 'running' ? 'running and healthy' : desired.state}: it is ${candidate.state}${health}`);
  }
  if (oldLive === undefined) return replacing(`${entry.id} is not in the live view yet`);
  const step = removeStep(oldLive, desired.stopTimeout ?? entry.stopTimeout, 'replace');
  if (isPlan(step)) return step;
  return act([step, renamePreview(desired, candidate.id, candidate.name ?? '')], [], oldLive);
}

/** The entry once the old container is going: it owns the replacement from now on. */
export function promoted(entry: Entry, candidate: LiveInstance): Readonly<{ id: string; uuid: string | null; name: string; replacement: undefined }> {
  return { id: candidate.id, uuid: candidate.uuid, name: candidate.name ?? entry.name, replacement: undefined };
}

/** Whether the old container of a replace is going (or gone), so the entry can move to the replacement. */
export function oldIsGoing(old: OwnedLive): boolean {
  return old === 'gone' || (old !== 'unseen' && isDying(old));
}

/**
 * A replace under way (the entry has a `replacement`): its next step; or, once the old container is
 * going, the same decision (`decide`: diff's own) for the entry moved over to the replacement (which
 * renames it).
 */
export function replaceInProgress(input: DiffInput, desired: DesiredInstance, decide: (input: DiffInput) => Plan): Plan | undefined {
  const owned = input.owned;
  if (owned?.entry.replacement === undefined) return undefined;
  const candidate = input.replacement;
  if (!oldIsGoing(owned.live) || typeof candidate !== 'object' || isGone(candidate)) {
    const next = continueReplace(input, desired, owned.entry, owned.live);
    return withTwins(next, { live: undefined, entry: undefined, twins: surplusReplacements(input, undefined), foreign: [] }, desired);
  }
  const surplus = surplusReplacements(input, undefined);
  if (surplus.length > 0) return withTwins({ kind: 'in-sync' }, { live: undefined, entry: undefined, twins: surplus, foreign: [] }, desired);
  const moved = promoted(owned.entry, candidate);
  const { replacement: _done, ...entry } = { ...owned.entry, ...moved };
  const { replacement: _seen, candidates: _others, ...rest } = input;
  const plan = decide({ ...rest, owned: { entry, live: candidate } });
  const inner = plan.inventory?.kind === 'patch' ? plan.inventory.changes : {};
  return { ...plan, inventory: { kind: 'patch', changes: { ...moved, ...inner } } };
}

/** Replacements for the key other than `keep` that no entry records (the recorded one is not among `candidates`). */
export function surplusReplacements(input: DiffInput, keep: string | undefined): LiveInstance[] {
  return (input.candidates ?? []).filter((c) => c.id !== keep && !isDying(c));
}

/** The plan starts a replace or waits to (it then records or creates the replacement itself). */
export function startsReplace(plan: Plan): boolean {
  if (plan.kind === 'wait') return plan.reason === 'replacing' || plan.reason === 'recreate-paced';
  return plan.kind === 'act' && plan.actions.some((a) => a.kind === 'create' && a.replaces !== undefined);
}

/** No container found for the key, but its replacement is there (the entry was lost mid-replace): recover it. */
export function withRecoveredReplacement(input: DiffInput, desired: DesiredInstance, target: Target): Target {
  const found = target.live === undefined ? input.candidates?.find((c) => !isDying(c)) : undefined;
  if (found === undefined) return target;
  const record = recordFor(input.key, desired, found, 'created');
  return { ...target, live: found, entry: record, effect: { kind: 'adopt', record } };
}
