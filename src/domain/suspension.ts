/**
 * Suspension, as `diff` applies it: `spec.suspend: true` on one instance, or the whole daemon
 * suspended (POST /suspend, controller/suspension.ts). A held key gets an in-sync plan with the note
 * `suspended` or `daemon-suspended`: no action and no inventory change, except recording a `prune:
 * false` protection (which can only make a later prune remove less). What the key would have done is
 * kept as a notice, so `/status` and `plan` show what a resume will do. A standby replica (another
 * leads the environment) holds its plans the same way, with note `standby` and no effect at all. Pure.
 */
import type { DiffInput } from './diff-input.js';
import { describeAction, type InventoryEffect, type Plan } from './plan.js';

/** The part of an effect a held key still records: the `prune` protection of a patch, nothing else. */
function keptEffect(effect: InventoryEffect | undefined): InventoryEffect | undefined {
  if (effect?.kind !== 'patch' || !('prune' in effect.changes)) return undefined;
  return { kind: 'patch', changes: { prune: effect.changes.prune } };
}

/** Whether the plan would call Rancher or change the inventory beyond the prune protection. */
function hasWork(plan: Plan): boolean {
  if (plan.kind === 'act') return true;
  const effect = plan.inventory;
  if (effect === undefined) return false;
  return effect.kind !== 'patch' || Object.keys(effect.changes).some((field) => field !== 'prune');
}

/** One line saying what the held plan would do, or nothing when it would do nothing. */
function pendingNotice(plan: Plan): string[] {
  const steps: string[] = [];
  const effect = plan.inventory;
  if (effect?.kind === 'adopt') steps.push(`adopt ${effect.record.id}`);
  if (effect?.kind === 'move') steps.push(`move ${effect.record.id} from ${effect.from}`);
  if (plan.kind === 'act') steps.push(...plan.actions.map(describeAction));
  if (plan.kind === 'blocked') return [`suspended: would be blocked: ${plan.message}`];
  return steps.length === 0 ? [] : [`suspended: would ${steps.join(', then ')}`];
}

/**
 * A standby's plan: with work, in sync with note `standby` and what the leader would do as a notice;
 * without, as it is. Either way with no inventory effect at all: the leader owns the records.
 */
function holdForLeader(plan: Plan): Plan {
  if (!hasWork(plan)) {
    const { inventory: _dropped, ...rest } = plan;
    return rest as Plan;
  }
  const notices = [...(plan.notices ?? []), ...pendingNotice(plan).map((line) => line.replace(/^suspended: /, 'standby: '))];
  return { kind: 'in-sync', note: 'standby', ...(notices.length === 0 ? {} : { notices }) };
}

/**
 * `plan` as it stands for a suspended key: unchanged when nothing is suspended (and for a key whose
 * manifest file is invalid, which is left alone anyway). `spec.suspend` holds every plan of its key;
 * a suspended daemon holds only plans with work (an in-sync, waiting or blocked key is reported as it is).
 */
export function holdIfSuspended(input: DiffInput, plan: Plan): Plan {
  if (input.manifestIssue !== undefined) return plan;
  if (input.standby === true) return holdForLeader(plan);
  const bySpec = input.desired?.suspend === true;
  if (!bySpec && !(input.daemonSuspended === true && hasWork(plan))) return plan;
  const notices = [...(plan.notices ?? []), ...pendingNotice(plan)];
  const kept = keptEffect(plan.inventory);
  return {
    kind: 'in-sync',
    note: bySpec ? 'suspended' : 'daemon-suspended',
    ...(notices.length === 0 ? {} : { notices }),
    ...(kept === undefined ? {} : { inventory: kept }),
  };
}
