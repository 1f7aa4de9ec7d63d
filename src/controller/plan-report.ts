/**
 * The `plan` preview: one diff per key (declared or owned) against a single read of live state, with
 * the revision's removal decision, and its text and JSON renderings. No API call is made except the
 * GETs that confirm an owned instance is gone.
 */
import { diff, isGone, type OwnedLive } from '../domain/diff.js';
import type { InstanceKey } from '../domain/instance.js';
import { describeAction, describeChanges, type Plan } from '../domain/plan.js';
import type { InstanceApi, LiveReader } from '../domain/ports.js';
import type { DesiredReader } from '../manifest/store.js';
import { formatIssue } from '../manifest/issues.js';
import type { Inventory } from './inventory.js';
import { decideRevisionRemovals, removalPolicyFor } from './prune-budget.js';

export type PlanChange = Readonly<{
  name: InstanceKey;
  action: string;
  fields: readonly Readonly<{ field: string; from: unknown; to: unknown }>[];
  reason: string | null;
  plan: Plan['kind'];
}>;

export type PlanReport = Readonly<{
  revision: string | null;
  complete: boolean;
  changes: readonly PlanChange[];
  summary: Readonly<{ create: number; update: number; start: number; stop: number; restart: number; remove: number; blocked: number; wait: number; inSync: number }>;
}>;

export type PlanReportInput = Readonly<{
  desired: DesiredReader;
  inventory: Inventory;
  live: LiveReader;
  api: InstanceApi;
  prune: boolean;
  maxDelete: number | undefined;
  signal?: AbortSignal;
}>;

function actionName(plan: Plan): string {
  switch (plan.kind) {
    case 'act':
      return plan.actions[0].kind;
    case 'blocked':
      return 'blocked';
    case 'wait':
      return 'wait';
    case 'in-sync':
      return 'none';
  }
}

/** Computes the plan of every declared or owned key. */
export async function buildPlanReport(input: PlanReportInput): Promise<PlanReport> {
  const { desired, inventory, live, api } = input;
  const keys = new Set<InstanceKey>(desired.keys());
  for (const entry of inventory.entries()) keys.add(entry.key);
  const { decision } = decideRevisionRemovals({ desired, owned: inventory.entries().map((e) => e.key), prune: input.prune, maxDelete: input.maxDelete });
  const summary = { create: 0, update: 0, start: 0, stop: 0, restart: 0, remove: 0, blocked: 0, wait: 0, inSync: 0 };
  const changes: PlanChange[] = [];
  for (const key of [...keys].sort()) {
    const entry = inventory.get(key);
    let owned: { entry: typeof entry & object; live: OwnedLive } | undefined;
    if (entry !== undefined) {
      let found = live.get(entry.id);
      if (found === undefined) found = await api.get(entry.id, input.signal);
      owned = { entry, live: found === undefined || isGone(found) ? 'gone' : found };
    }
    const spec = desired.get(key)?.spec;
    const issue = desired.blockedBy(key);
    const named = spec === undefined ? [] : live.byName(spec.name);
    const plan = diff({
      key,
      desired: desired.get(key),
      ...(issue === undefined ? {} : { manifestIssue: formatIssue(issue) }),
      ...(owned === undefined ? {} : { owned }),
      named,
      claimed: new Set(named.filter((l) => (inventory.ownerOf(l.id) ?? key) !== key).map((l) => l.id)),
      removal: removalPolicyFor(decision, key),
      errorRetriesExhausted: false,
    });
    const action = actionName(plan);
    if (plan.kind === 'in-sync') {
      summary.inSync += 1;
      continue;
    }
    if (plan.kind === 'act') summary[plan.actions[0].kind] += 1;
    else if (plan.kind === 'blocked') summary.blocked += 1;
    else summary.wait += 1;
    const fields = plan.kind === 'act' ? plan.changes : plan.kind === 'blocked' ? (plan.changes ?? []) : [];
    const reason = plan.kind === 'act' ? plan.actions.map(describeAction).join(', then ') : plan.message;
    changes.push({ name: key, action, fields: fields.map((f) => ({ field: f.field, from: f.from, to: f.to })), reason, plan: plan.kind });
  }
  return { revision: desired.revision ?? null, complete: desired.complete, changes, summary };
}

/** Whether applying the report would call the API (create, update, start, stop, restart or remove). */
export function hasChanges(report: PlanReport): boolean {
  const s = report.summary;
  return s.create + s.update + s.start + s.stop + s.restart + s.remove > 0;
}

/** The human rendering: one block per instance, then a summary line. */
export function renderPlanText(report: PlanReport): string {
  const lines: string[] = [];
  for (const change of report.changes) {
    const symbol = change.plan === 'blocked' ? '!' : change.plan === 'wait' ? '~' : change.action === 'remove' ? '-' : change.action === 'create' ? '+' : '~';
    const what = change.plan === 'act' ? (change.reason ?? change.action) : `${change.action}${change.reason ? ` (${change.reason})` : ''}`;
    lines.push(`${symbol} ${change.name}: ${what}`);
    for (const line of describeChanges(change.fields)) lines.push(`    ${line}`);
  }
  const s = report.summary;
  lines.push(
    `Plan for revision ${report.revision ?? '(none)'}${report.complete ? '' : ' (INCOMPLETE: removals frozen)'}: ` +
      `${s.create} to create, ${s.update} to update, ${s.start} to start, ${s.stop} to stop, ${s.restart} to restart, ${s.remove} to remove, ` +
      `${s.blocked} blocked, ${s.wait} waiting, ${s.inSync} in sync.`,
  );
  return `${lines.join('\n')}\n`;
}
