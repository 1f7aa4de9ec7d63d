/**
 * The `plan` preview: for every declared or owned key, the same inputs (diff-inputs.ts) and the same
 * `diff` a reconcile pass uses, against one read of live state and the revision's removal decision.
 * Every pending action of an instance is listed (a pass runs them one at a time), adoptions and key
 * moves as their own actions. No API call is made except the GETs that confirm an owned instance is gone.
 */
import { systemClock } from '../clock.js';
import type { Logger } from '../logger.js';
import { diff } from '../domain/diff.js';
import type { InstanceKey } from '../domain/instance.js';
import { describeAction, type Action, type FieldChange, type Plan } from '../domain/plan.js';
import type { InstanceApi, LiveReader } from '../domain/ports.js';
import type { DesiredReader } from '../manifest/store.js';
import { gatherDiffInput, noMemory, type InventoryView } from './diff-inputs.js';
import { ownedKeys } from './owned-keys.js';
import { decideRevisionRemovals, removalPolicyFor, type RemovalDecision } from './prune-budget.js';
import { assertOnlyNamesKnown, inSubset, selectKeys, summarizeSubset, wholeTree, type Subset, type SubsetSummary } from './subset.js';
import type { InventoryEntry } from '../domain/plan.js';

/** One thing `apply` would do for an instance, in order: a Rancher call, or an inventory-only step. */
export type PlannedStep = Readonly<{
  action: Action['kind'] | 'adopt' | 'move';
  /** The container it acts on (null for a create). */
  id: string | null;
  /** e.g. `stop+remove 1i5 (timeout 10s)`, `adopt 1i3`, `move from web-old`. */
  detail: string;
}>;

export type PlanChange = Readonly<{
  name: InstanceKey;
  /** The headline: the first step, `replace` / `recreate` for a create-only change, or `blocked` / `wait`. */
  action: string;
  steps: readonly PlannedStep[];
  fields: readonly FieldChange[];
  reason: string | null;
  notices: readonly string[];
  plan: Plan['kind'];
}>;

type Counted = Action['kind'] | 'adopt' | 'move' | 'replace' | 'recreate' | 'blocked' | 'wait' | 'inSync' | 'suspended' | 'kept';
export type PlanSummary = Readonly<Record<Counted, number>>;

export type PlanReport = Readonly<{
  revision: string | null;
  complete: boolean;
  changes: readonly PlanChange[];
  summary: PlanSummary;
  /** Why removals are refused in this revision (over budget, incomplete tree), or null. */
  removalsRefused: string | null;
  /** The subset planned (`--only`, `--selector`) and how many instances it leaves out; null for the whole tree. */
  subset: SubsetSummary | null;
}>;

export type PlanReportInput = Readonly<{
  desired: DesiredReader;
  inventory: InventoryView & Readonly<{ entries(): readonly InventoryEntry[] }>;
  live: LiveReader;
  api: Pick<InstanceApi, 'get' | 'findByName'>;
  prune: boolean;
  maxDelete: number | undefined;
  /** Default: the whole tree. */
  subset?: Subset;
  log: Logger;
  signal?: AbortSignal;
}>;

function stepsOf(plan: Plan): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const effect = plan.inventory;
  if (effect?.kind === 'adopt') steps.push({ action: 'adopt', id: effect.record.id, detail: `${effect.record.origin === 'created' ? 'recover (our labels)' : 'adopt'} ${effect.record.id}` });
  if (effect?.kind === 'move') steps.push({ action: 'move', id: effect.record.id, detail: `move ${effect.record.id} from ${effect.from}` });
  if (plan.kind === 'act') {
    for (const action of plan.actions) steps.push({ action: action.kind, id: action.kind === 'create' ? null : action.id, detail: describeAction(action) });
  }
  return steps;
}


/** A key listed even with nothing to do: suspended by its manifest, or an orphan kept by `prune: false`. */
function heldAs(plan: Plan): Readonly<{ action: 'suspended' | 'kept'; reason: string }> | undefined {
  if (plan.kind !== 'in-sync') return undefined;
  if (plan.note === 'suspended') return { action: 'suspended', reason: 'spec.suspend' };
  if (plan.note === 'protected') return { action: 'kept', reason: 'spec.prune is false' };
  return undefined;
}

function headline(plan: Plan, steps: readonly PlannedStep[]): string {
  if (plan.kind === 'blocked' || plan.kind === 'wait') return plan.kind;
  const held = heldAs(plan);
  if (held !== undefined) return held.action;
  if (plan.kind === 'act' && plan.actions.some((a) => a.kind === 'remove' && a.purpose === 'recreate')) return 'recreate';
  if (plan.kind === 'act' && plan.actions.some((a) => (a.kind === 'create' && a.replaces !== undefined) || (a.kind === 'remove' && a.purpose === 'replace'))) return 'replace';
  return steps[0]?.action ?? 'none';
}

function refusal(decision: RemovalDecision): string | null {
  return decision.kind === 'refused' ? decision.message : null;
}

/**
 * Computes the plan of every declared or owned key in the subset (subset.ts). Throws ApiError when a
 * GET fails, ConfigError when `--only` names nothing declared or owned.
 */
export async function buildPlanReport(input: PlanReportInput): Promise<PlanReport> {
  const { desired, inventory, live } = input;
  const subset = input.subset ?? wholeTree;
  assertOnlyNamesKnown(subset, { desired, inventory, live });
  const selection = selectKeys(subset, { desired, inventory, live });
  const isIn = (key: InstanceKey): boolean => inSubset(subset, key, { desired, inventory, live });
  const owned = ownedKeys(inventory, live);
  const { decision } = decideRevisionRemovals({ desired, owned, prune: input.prune, maxDelete: input.maxDelete, inSubset: isIn });
  const sources = {
    desired,
    inventory,
    live,
    api: input.api,
    clock: systemClock,
    log: input.log,
    removalPolicy: (key: InstanceKey) => removalPolicyFor(decision, key),
    // every recreate shows as the replace it will be; apply paces them (--max-unavailable)
    recreatePolicy: () => ({ kind: 'allowed' }) as const,
    inSubset: isIn,
  };
  const summary: Record<Counted, number> = { create: 0, update: 0, start: 0, stop: 0, restart: 0, remove: 0, adopt: 0, move: 0, replace: 0, recreate: 0, blocked: 0, wait: 0, inSync: 0, suspended: 0, kept: 0 };
  const changes: PlanChange[] = [];
  for (const key of selection.keys) {
    const { input: diffInput } = await gatherDiffInput(key, sources, noMemory, input.signal);
    const plan = diff(diffInput);
    const steps = stepsOf(plan);
    const notices = plan.notices ?? [];
    const held = heldAs(plan);
    if (plan.kind === 'in-sync' && steps.length === 0 && notices.length === 0 && held === undefined) {
      summary.inSync += 1;
      continue;
    }
    for (const step of steps) summary[step.action] += 1;
    const action = headline(plan, steps);
    if (action === 'replace' || action === 'recreate' || action === 'blocked' || action === 'wait') summary[action] += 1;
    if (held !== undefined) summary[held.action] += 1;
    else if (plan.kind === 'in-sync') summary.inSync += 1;
    const fields = plan.kind === 'act' ? plan.changes : plan.kind === 'blocked' ? (plan.changes ?? []) : [];
    const reason = plan.kind === 'blocked' || plan.kind === 'wait' ? plan.message : (held?.reason ?? null);
    changes.push({ name: key, action, steps, fields, reason, notices, plan: plan.kind });
  }
  return { revision: desired.revision ?? null, complete: desired.complete, changes, summary, removalsRefused: refusal(decision), subset: summarizeSubset(subset, selection) };
}

/** Whether applying the report would change anything (a Rancher call, or an adoption or move recorded). */
export function hasChanges(report: PlanReport): boolean {
  return report.changes.some((c) => c.steps.length > 0);
}

/**
 * Why `apply` would exit 1 on this report (the same conditions): an incomplete tree, anything blocked,
 * removals refused. Empty when it would not.
 */
export function planProblems(report: PlanReport): string[] {
  const problems: string[] = [];
  if (!report.complete) problems.push('the manifest tree did not parse completely (removals frozen)');
  if (report.removalsRefused !== null) problems.push(`removals refused: ${report.removalsRefused}`);
  for (const change of report.changes) if (change.plan === 'blocked') problems.push(`${change.name} is blocked: ${change.reason ?? ''}`);
  return problems;
}
