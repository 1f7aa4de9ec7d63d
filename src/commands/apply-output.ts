/**
 * What `apply` shows while it works and when it is done: a progress bar on a terminal (cli-progress on
 * stderr), plain lines otherwise, and a final table of every instance.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Writable } from 'node:stream';
import { describeAction } from '../domain/plan.js';
import type { InstanceStatus, PhaseSummary } from '../domain/status.js';
import type { ReconcileFinishedEvent } from '../controller/events.js';

export type ApplyProgress = Readonly<{
  onPass(event: ReconcileFinishedEvent, settledCount: number): void;
  stop(): void;
}>;

/** A progress reporter over `total` instances: a bar when `out` is a terminal, one line per action otherwise. */
export function createApplyProgress(out: Writable & { isTTY?: boolean }, lines: Writable, total: number): ApplyProgress {
  if (out.isTTY === true) {
    const bar = new SingleBar({ stream: out, format: 'converging [{bar}] {value}/{total} instances | {last}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
    bar.start(total, 0, { last: '' });
    return {
      onPass(event, settledCount) {
        const last = event.action === undefined ? '' : `${event.key}: ${describeAction(event.action)}`;
        bar.update(Math.min(total, settledCount), last === '' ? {} : { last });
      },
      stop: () => bar.stop(),
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

/** Counts the keys that need nothing more from this run (in sync, blocked or failed). */
export function countDone(summary: PhaseSummary): number {
  return summary['in-sync'] + summary.blocked + summary.failed;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** The final table: name, id, phase, reason, message; then a summary line. */
export function renderApplyTable(instances: readonly InstanceStatus[], summary: PhaseSummary): string {
  const rows = [['NAME', 'ID', 'PHASE', 'REASON', 'MESSAGE'], ...instances.map((i) => [i.name, i.id ?? '-', i.phase, i.reason, cut(i.message, 100)])];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  ').trimEnd());
  lines.push(`${summary.total} instances: ${summary['in-sync']} in sync, ${summary.progressing} progressing, ${summary.waiting} waiting, ${summary.blocked} blocked, ${summary.failed} failed`);
  return `${lines.join('\n')}\n`;
}
