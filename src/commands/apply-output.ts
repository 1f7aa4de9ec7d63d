/**
 * What `apply` shows while it works and when it is done: a progress bar on a terminal (a StatusLine on
 * stderr, which the logs go through too), plain lines otherwise, and a final table of every instance.
 * No colour anywhere here, so NO_COLOR has nothing to turn off.
 */
import type { Writable } from 'node:stream';
import { describeAction } from '../domain/plan.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InstanceStatus, PhaseSummary } from '../domain/status.js';
import type { ReconcileFinishedEvent } from '../controller/events.js';
import { plural, pluralWord } from '../plural.js';
import type { StatusLine } from './status-line.js';

/** What the progress reads after each pass: the status book. */
export type ProgressStatus = Readonly<{ get(key: InstanceKey): InstanceStatus | undefined; summary(): PhaseSummary }>;

export type ApplyProgress = Readonly<{
  onPass(event: ReconcileFinishedEvent): void;
  stop(): void;
}>;

const barWidth = 30;

/**
 * Counts the keys that need nothing more from this run: every phase but progressing and waiting (in
 * sync, blocked, failed, and any phase added later), so a new phase cannot keep the bar short of N/N.
 */
export function countDone(summary: PhaseSummary): number {
  return summary.total - summary.progressing - summary.waiting;
}

/** The bar: `converging [██████░░░░] 3/4 instances | web-2: start 1i4`. */
export function renderBar(done: number, total: number, last: string): string {
  const filled = total === 0 ? barWidth : Math.round((Math.min(done, total) / total) * barWidth);
  const bar = `${'\u2588'.repeat(filled)}${'\u2591'.repeat(barWidth - filled)}`;
  return `converging [${bar}] ${done}/${total} ${pluralWord(total, 'instance')}${last === '' ? '' : ` | ${last}`}`;
}

/**
 * The keys this run looks after, kept up to date pass by pass: it starts as the managed keys and
 * drops a key whose pass ended its management (a pruned orphan, an old name after a move), whose
 * status is then gone. Counting only the first set left the bar at 2/4 after two removals: the
 * removed keys never reached a done phase.
 */
function trackedKeys(initial: ReadonlySet<InstanceKey>, status: ProgressStatus): (event: ReconcileFinishedEvent) => number {
  const keys = new Set(initial);
  return (event) => {
    if (status.get(event.key) === undefined) keys.delete(event.key);
    else keys.add(event.key);
    return keys.size;
  };
}

/**
 * A progress reporter: a bar on `terminal` (stderr when it is a terminal), else one line per action
 * or error on `lines`. `managed` is the set of keys at the first pass; `status` is read after each.
 * The bar shows done/total after every pass, so when the run settles it shows N/N.
 */
export function createApplyProgress(terminal: StatusLine | undefined, lines: Writable, managed: ReadonlySet<InstanceKey>, status: ProgressStatus): ApplyProgress {
  if (terminal !== undefined) {
    const totalAfter = trackedKeys(managed, status);
    let last = '';
    return {
      onPass(event) {
        const total = totalAfter(event);
        if (event.action !== undefined) last = `${event.key}: ${describeAction(event.action)}`;
        terminal.draw(renderBar(Math.min(total, countDone(status.summary())), total, last));
      },
      stop: () => terminal.stop(),
    };
  }
  return {
    onPass(event) {
      if (event.action !== undefined) lines.write(`${event.key}: ${describeAction(event.action)}\n`);
      else if (event.error !== undefined) lines.write(`${event.key}: error: ${event.error.message}\n`);
    },
    stop: () => undefined,
  };
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** The final table: name, id, phase, reason, message; then a summary line. */
export function renderApplyTable(instances: readonly InstanceStatus[], summary: PhaseSummary): string {
  const rows = [['NAME', 'ID', 'PHASE', 'REASON', 'MESSAGE'], ...instances.map((i) => [i.name, i.id ?? '-', i.phase, i.reason, cut(i.message, 100)])];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  ').trimEnd());
  lines.push(`${plural(summary.total, 'instance')}: ${summary['in-sync']} in sync, ${summary.progressing} progressing, ${summary.waiting} waiting, ${summary.blocked} blocked, ${summary.failed} failed${summary.suspended > 0 ? `, ${summary.suspended} suspended (spec.suspend)` : ''}`);
  return `${lines.join('\n')}\n`;
}
