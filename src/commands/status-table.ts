/**
 * The text of `rancher-reconciler status`: a table of a daemon's `/status` instances and one summary
 * line, kubectl style. Pure: the document and the time come in, text goes out (no I/O, clock or
 * terminal), so the table tests are tables too.
 *
 * The document comes from another process, possibly of another version, so every field is read
 * defensively: a field that is missing or of the wrong type shows as `-`, never as `undefined`.
 */
import { phases } from '../domain/status.js';
import { plural } from '../plural.js';

/** The columns, in order. */
export const statusColumns = ['NAME', 'ID', 'STATE', 'PHASE', 'REASON', 'LAST ACTION', 'AGE'] as const;

/** Three spaces between columns, as kubectl prints them. */
const gap = '   ';

/**
 * A duration as kubectl's `ShortHumanDuration` prints an age: whole seconds below a minute (`5s`),
 * minutes below an hour (`3m`), hours below a day (`2h`), days below a year (`4d`), then years (`2y`).
 * A negative duration (the daemon's clock ahead of ours) is `0s`: an age is never negative.
 */
export function humanAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

type Doc = Readonly<Record<string, unknown>>;

const text = (value: unknown): string => (typeof value === 'string' && value !== '' ? value : '-');

/** When an instance's phase, reason or message last changed (`updatedAt`); a daemon that does not say gives `-`. */
function changedAt(instance: Doc): number | undefined {
  const value = instance['updatedAt'];
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** One row of cells. STATE is Rancher's state (`liveState`) when the daemon reports it. */
function row(instance: Doc, nowMs: number): string[] {
  const at = changedAt(instance);
  return [
    text(instance['name']),
    text(instance['id']),
    text(instance['liveState']),
    text(instance['phase']),
    text(instance['reason']),
    text(instance['lastAction']),
    at === undefined ? '-' : humanAge(nowMs - at),
  ];
}

/** `rows` with every column padded to its widest cell; the last column is not padded (no trailing spaces). */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const cells of rows) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((cells) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(gap).trimEnd());
}

/** A revision with its hash (40 hex or more: sha1, sha256) cut to 12, as `git log --oneline` would; `-o json` has it whole. */
function shortRevision(revision: string): string {
  return revision.replace(/\b([0-9a-f]{12})[0-9a-f]{28,}\b/, '$1');
}

/**
 * The summary line: the count of instances, the count per phase (phases with none left out), the
 * revision, and whether the daemon is ready (and suspended).
 *
 * @example
 * // 3 instances: 2 in-sync, 1 blocked; revision main@sha1:9f1c2e7a4b3d; ready
 */
export function summaryLine(doc: Doc, instanceCount: number): string {
  const summary = (doc['summary'] ?? {}) as Readonly<Record<string, unknown>>;
  const counts = phases.flatMap((phase) => {
    const n = summary[phase];
    return typeof n === 'number' && n > 0 ? [`${n} ${phase}`] : [];
  });
  const total = typeof summary['total'] === 'number' ? summary['total'] : instanceCount;
  const head = `${plural(total, 'instance')}${counts.length === 0 ? '' : `: ${counts.join(', ')}`}`;
  const revision = typeof doc['revision'] === 'string' ? `revision ${shortRevision(doc['revision'])}` : 'no revision read yet';
  const suspended = doc['suspended'] !== null && typeof doc['suspended'] === 'object' ? `; suspended since ${text((doc['suspended'] as Doc)['since'])}` : '';
  return `${head}; ${revision}; ${doc['ready'] === true ? 'ready' : 'not ready'}${suspended}`;
}

/**
 * The whole text `status` prints for one `/status` document at `nowMs` (ms since the epoch): the
 * header, one row per instance in the daemon's order, a blank line and the summary line. With no
 * instances, the table is left out and the summary says `0 instances`.
 */
export function renderStatus(doc: Doc, nowMs: number): string {
  const instances = Array.isArray(doc['instances']) ? (doc['instances'] as unknown[]).filter((i): i is Doc => i !== null && typeof i === 'object') : [];
  const summary = summaryLine(doc, instances.length);
  if (instances.length === 0) return `${summary}\n`;
  const lines = alignColumns([[...statusColumns], ...instances.map((instance) => row(instance, nowMs))]);
  return `${lines.join('\n')}\n\n${summary}\n`;
}

/** What {@link renderDaemon} draws: the environments' documents (each with its `name`) and those not ready. */
export type DaemonView = Readonly<{ environments: readonly Doc[]; notReady: readonly string[] }>;

/**
 * The whole text `status` prints for a daemon: with the one environment `default` (the flags' one, or
 * an older daemon) exactly {@link renderStatus} of it, as before environments existed; otherwise one
 * section per environment, `== environment NAME ==` then its table and summary (the header `plan` and
 * `apply` print per environment too), and with several a last line that counts them and names those
 * not ready.
 *
 * @example
 * // 2 environments: 1 ready, 1 not ready (prod)
 */
export function renderDaemon(view: DaemonView, nowMs: number): string {
  const { environments, notReady } = view;
  const [only] = environments;
  if (environments.length === 1 && only !== undefined && only['name'] === 'default') return renderStatus(only, nowMs);
  const sections = environments.map((doc) => `== environment ${text(doc['name'])} ==\n${renderStatus(doc, nowMs)}`);
  if (environments.length < 2) return sections.join('');
  const ready = environments.length - notReady.length;
  const tail = notReady.length === 0 ? `${ready} ready` : `${ready} ready, ${notReady.length} not ready (${notReady.join(', ')})`;
  return `${sections.join('')}\n${plural(environments.length, 'environment')}: ${tail}\n`;
}
