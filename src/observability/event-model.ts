/**
 * The one typed model of everything worth telling a person (issue 14): the event history
 * (`GET /events`, `/events/stream`, `/status` per instance), notifications and the `events` command all
 * read these, recorded once by the EventJournal. Pure types and small pure helpers; no I/O.
 */

export type Severity = 'info' | 'warning' | 'error';

/** Every severity, lowest first (a filter's minimum compares by this order). */
export const severities: readonly Severity[] = ['info', 'warning', 'error'];

/** What happened. Stable names: they are API (filters, notification rules, the dashboard). */
export const eventKinds = [
  'revision-seen',
  'revision-applied',
  'revision-converged',
  'action-succeeded',
  'action-failed',
  'drift-detected',
  'drift-healed',
  'instance-blocked',
  'instance-failed',
  'removals-refused',
  'twin-removed',
  'source-not-ready',
  'source-ready',
  'credentials-rejected',
  'leader-elected',
  'leader-lost',
] as const;
export type EventKind = (typeof eventKinds)[number];

/** A commit, when the git source supplies it (revision seen / applied / converged). */
export type EventCommit = Readonly<{ sha: string; subject?: string; author?: string }>;

/** What a recorder supplies; the journal adds `id` and `time`. */
export type EventInput = Readonly<{
  kind: EventKind;
  severity: Severity;
  /** The environment the event happened in (its name in the config file, `default` for the flags' one). */
  environment?: string;
  /** The manifest key, for events about one instance; null otherwise. */
  key: string | null;
  /** The Rancher id (`1i42`), when known. */
  instanceId: string | null;
  /** The manifest revision the event belongs to, when known. */
  revision: string | null;
  /** A short stable PascalCase code (`Created`, `ImmutableFieldChanged`, `OverDeleteBudget`, ...). */
  reason: string;
  /** A human sentence; never contains credentials (the same masking as status and plan). */
  message: string;
  /** The action, for action-succeeded / action-failed / drift events (`create`, `start`, ...). */
  action?: string;
  /** How long it took, for revision-converged (since the revision was seen) and actions. */
  durationMs?: number;
  commit?: EventCommit;
}>;

/** One recorded event. `id` grows by one per event for the daemon's life (the SSE id). */
export type ReconcilerEvent = EventInput & Readonly<{ id: number; time: string }>;

/** A filter of the history: any field left out matches everything. */
export type EventFilter = Readonly<{
  environment?: string;
  key?: string;
  /** Minimum severity. */
  severity?: Severity;
  /** Only events at or after this ISO time. */
  since?: string;
  /** Only events with an id greater than this (SSE `Last-Event-ID`). */
  afterId?: number;
  kinds?: readonly EventKind[];
  /** The newest `limit` of the matching events. */
  limit?: number;
}>;

/** Whether `severity` is at least `minimum`. */
export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severities.indexOf(severity) >= severities.indexOf(minimum);
}

/** Whether `event` passes `filter`. */
export function matchesFilter(event: ReconcilerEvent, filter: EventFilter): boolean {
  if (filter.environment !== undefined && event.environment !== filter.environment) return false;
  if (filter.key !== undefined && event.key !== filter.key) return false;
  if (filter.severity !== undefined && !atLeast(event.severity, filter.severity)) return false;
  if (filter.since !== undefined && event.time < filter.since) return false;
  if (filter.afterId !== undefined && event.id <= filter.afterId) return false;
  if (filter.kinds !== undefined && !filter.kinds.includes(event.kind)) return false;
  return true;
}

/** What the history offers its readers: the events so far and the ones to come. */
export type EventSource = Readonly<{
  /** Matching events, oldest first (the newest `filter.limit` when set). */
  list(filter?: EventFilter): readonly ReconcilerEvent[];
  /** Calls `listener` for every event recorded from now on; returns the unsubscribe function. */
  subscribe(listener: (event: ReconcilerEvent) => void): () => void;
}>;
