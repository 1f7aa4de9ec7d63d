/**
 * The small steps `diff` and its helpers (replace.ts) build plans from: wait for a transition, the
 * first action checked against what Rancher offers, and how to remove a container. Pure.
 */
import type { DesiredInstance, LiveInstance } from './instance.js';
import type { Target } from './diff-target.js';
import type { Action, FieldChange, Plan, RemoveAction } from './plan.js';

export function waitTransitioning(live: LiveInstance): Plan {
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

/** The first action must be offered by `live.actions` (`live` is what it acts on); later ones are previews. */
export function act(actions: readonly Action[], changes: readonly FieldChange[], live: LiveInstance | undefined): Plan {
  const [first, ...rest] = actions;
  if (first === undefined) return { kind: 'in-sync' };
  const needed = requiredAction(first);
  if (live !== undefined && needed !== undefined && !live.actions.has(needed)) return notOffered(first, live);
  return { kind: 'act', actions: [first, ...rest], changes };
}

/** How to remove `live`: stop {remove:true} while running, the remove action from stopped/error/requested. */
export function removeStep(live: LiveInstance, timeout: number | undefined, purpose: RemoveAction['purpose']): RemoveAction | Plan {
  if (live.state === 'running' && live.transitioning !== 'yes') {
    return { kind: 'remove', id: live.id, via: 'stop', ...(timeout === undefined ? {} : { timeout }), purpose };
  }
  if (['stopped', 'error', 'requested'].includes(live.state) && live.transitioning !== 'yes') {
    return { kind: 'remove', id: live.id, via: 'remove', purpose };
  }
  return waitTransitioning(live);
}

export function isPlan(step: RemoveAction | Plan | Target): step is Plan {
  return 'kind' in step && (step.kind === 'in-sync' || step.kind === 'wait' || step.kind === 'act' || step.kind === 'blocked');
}

/** Surplus twins go first, one removal per pass; a twin mid-transition is waited for. */
export function withTwins(plan: Plan, target: Target, desired: DesiredInstance): Plan {
  const [twin] = target.twins;
  if (twin === undefined) return plan;
  const step = removeStep(twin, desired.stopTimeout, 'twin');
  if (isPlan(step)) return step;
  const rest = plan.kind === 'act' ? plan.actions : [];
  const removal = act([step, ...target.twins.slice(1).map((t): RemoveAction => ({ kind: 'remove', id: t.id, via: t.state === 'running' ? 'stop' : 'remove', purpose: 'twin' })), ...rest], plan.kind === 'act' ? plan.changes : [], twin);
  return { ...removal, ...(plan.inventory === undefined ? {} : { inventory: plan.inventory }), ...(plan.notices === undefined ? {} : { notices: plan.notices }) };
}
