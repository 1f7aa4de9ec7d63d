/**
 * The human rendering of a PlanReport: one block per instance (its steps, the fields that change, the
 * notices), then a summary line.
 */
import { describeChanges } from '../domain/plan.js';
import type { PlanChange, PlanReport } from './plan-report.js';
import { subsetLine } from './subset.js';

function symbol(change: PlanChange): string {
  if (change.plan === 'blocked') return '!';
  // suspended or kept: listed so a reviewer sees it, though nothing is done
  if (change.action === 'suspended' || change.action === 'kept') return '=';
  if (change.action === 'recreate') return '-/+';
  if (change.action === 'replace') return '+/-';
  if (change.action === 'remove') return '-';
  if (change.action === 'create') return '+';
  return '~';
}

/** The summary's tail for suspended and protected instances, only when there are any. */
function held(s: PlanReport['summary']): string {
  return `${s.suspended > 0 ? `, ${s.suspended} suspended (spec.suspend)` : ''}${s.kept > 0 ? `, ${s.kept} kept (spec.prune: false)` : ''}`;
}

/** The text `plan` prints. */
export function renderPlanText(report: PlanReport): string {
  const lines: string[] = [];
  for (const change of report.changes) {
    const what = change.steps.length > 0 ? change.steps.map((s) => s.detail).join(', then ') : `${change.action}${change.reason ? ` (${change.reason})` : ''}`;
    lines.push(`${symbol(change)} ${change.name}: ${what}`);
    for (const line of describeChanges(change.fields)) lines.push(`    ${line}`);
    for (const notice of change.notices) lines.push(`    note: ${notice}`);
  }
  const s = report.summary;
  lines.push(
    `Plan for revision ${report.revision ?? '(none)'}${report.complete ? '' : ' (INCOMPLETE: removals frozen)'}: ` +
      `${s.create} to create, ${s.update} to update, ${s.start} to start, ${s.stop} to stop, ${s.restart} to restart, ${s.remove} to remove ` +
      `(${s.recreate} recreated, ${s.replace} replaced), ${s.adopt} to adopt, ${s.move} to move, ${s.blocked} blocked, ${s.wait} waiting, ${s.inSync} in sync${held(s)}.`,
  );
  if (report.removalsRefused !== null) lines.push(`Removals refused: ${report.removalsRefused}`);
  return `${lines.join('\n')}\n${subsetLine(report.subset, 'planned')}`;
}
