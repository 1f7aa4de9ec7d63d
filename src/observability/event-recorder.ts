/**
 * EventRecorder: the one place that turns the controller's typed signals (controller/events.ts) into
 * history events (event-model.ts). It reads only what the signals carry, plus the current revision and
 * the git source's commit; the little it remembers is what a signal cannot say on its own (a key that
 * drifted and has not healed yet, the previous API condition).
 *
 * | signal | event |
 * |---|---|
 * | `revision:seen` | `revision-seen`, then `revision-applied` (warning when the tree is incomplete) |
 * | `revision:converged` | `revision-converged` (with `durationMs` since seen) |
 * | `reconcile:finished` with an action | `action-succeeded`; `drift-healed` once a drifted key is in sync again |
 * | `reconcile:finished` with an error | `action-failed`: warning while retrying, error when not |
 * | `drift:detected` | `drift-detected` |
 * | `phase:changed` to blocked / failed | `instance-blocked` / `instance-failed` (refused removals: see below) |
 * | `removals:refused` | `removals-refused` |
 * | `twin:removed` | `twin-removed` |
 * | `source:condition` | `source-not-ready` / `source-ready` |
 * | `api:condition` turning `unauthorized` | `credentials-rejected` |
 *
 * Messages are the ones status and the logs already show, which never carry credentials.
 */
import type { Clock } from '../clock.js';
import { isRetryable } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import { describeAction, type Action } from '../domain/plan.js';
import type { ControllerEventMap, ControllerEvents } from '../controller/events.js';
import { failureStatus } from '../controller/outcome-status.js';
import type { EventCommit, EventInput } from './event-model.js';

export type EventRecorderDeps = Readonly<{
  events: ControllerEvents;
  journal: Readonly<{ record(input: EventInput): unknown }>;
  clock: Clock;
  /** The environment every recorded event names (several environments share one journal). */
  environment?: string;
  /** The revision the controller applies now (null before the first snapshot). */
  revision: () => string | null;
  /** The git source's commit of `revision`, when it is the one the source applies; undefined otherwise. */
  commitOf?: (revision: string) => EventCommit | undefined;
}>;

const succeededReasons: Readonly<Record<Action['kind'], string>> = {
  create: 'Created', update: 'Updated', start: 'Started', stop: 'Stopped', restart: 'Restarted', remove: 'Removed',
};

/** Blocked reasons reported by `removals-refused` instead, once per revision (as the log does). */
const refusedRemovalReasons: ReadonlySet<string> = new Set(['OverDeleteBudget', 'RemovalFrozen']);

const refusedReasons: Readonly<Record<string, string>> = { 'over-budget': 'OverDeleteBudget', 'frozen-incomplete': 'RemovalFrozen' };

/** `host-key` -> `GitHostKey`: a GitFailureReason as a PascalCase event reason. */
function gitReason(reason: string): string {
  return `Git${reason.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('')}`;
}

export class EventRecorder {
  readonly #deps: EventRecorderDeps;
  /** Keys that drifted and are not in sync again yet, with when the drift was detected. */
  readonly #drifted = new Map<InstanceKey, number>();
  #condition: ControllerEventMap['api:condition']['api'] | undefined;
  #offs: (() => void)[] = [];

  constructor(deps: EventRecorderDeps) {
    this.#deps = deps;
  }

  /** Subscribes to the controller's events; idempotent. */
  start(): void {
    if (this.#offs.length > 0) return;
    const { events } = this.#deps;
    this.#offs = [
      events.on('revision:seen', (e) => this.#revisionSeen(e)),
      events.on('revision:converged', (e) => this.#record({ kind: 'revision-converged', severity: 'info', key: null, instanceId: null, revision: e.revision, reason: 'Converged',
        message: `every instance is in sync at ${e.revision}`, durationMs: e.durationMs, ...this.#commit(e.revision) })),
      events.on('reconcile:finished', (e) => this.#finished(e)),
      events.on('drift:detected', (e) => this.#driftDetected(e)),
      events.on('phase:changed', (e) => this.#phaseChanged(e)),
      events.on('removals:refused', (e) => this.#record({ kind: 'removals-refused', severity: 'warning', key: null, instanceId: null, revision: e.revision,
        reason: refusedReasons[e.reason] ?? 'RemovalsRefused', message: `${e.message} (would remove ${e.keys.slice(0, 20).join(', ')}${e.keys.length > 20 ? ', ...' : ''})` })),
      events.on('twin:removed', (e) => this.#record({ kind: 'twin-removed', severity: 'warning', key: e.key, instanceId: e.instanceId, revision: this.#deps.revision(),
        reason: 'SurplusTwinRemoved', message: `removed surplus twin ${e.instanceId} (a same-name container created by a late-committed create)`, action: 'remove' })),
      events.on('source:condition', (e) => this.#record(e.ready
        ? { kind: 'source-ready', severity: 'info', key: null, instanceId: null, revision: e.keeping, reason: 'GitReady', message: e.message }
        : { kind: 'source-not-ready', severity: 'warning', key: null, instanceId: null, revision: e.keeping, reason: gitReason(e.reason ?? 'failed'),
          message: `${e.message}; ${e.keeping === null ? 'no commit fetched yet' : `keeping ${e.keeping}`}` })),
      events.on('api:condition', (e) => this.#apiCondition(e)),
    ];
  }

  /** Unsubscribes. */
  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  #record(input: EventInput): void {
    const { environment } = this.#deps;
    this.#deps.journal.record(environment === undefined ? input : { ...input, environment });
  }

  #commit(revision: string): { commit?: EventCommit } {
    const commit = this.#deps.commitOf?.(revision);
    return commit === undefined ? {} : { commit };
  }

  #revisionSeen(e: ControllerEventMap['revision:seen']): void {
    const commit = this.#commit(e.revision);
    const subject = commit.commit?.subject === undefined ? '' : `: ${commit.commit.subject}`;
    this.#record({ kind: 'revision-seen', severity: 'info', key: null, instanceId: null, revision: e.revision, reason: 'RevisionSeen', message: `new revision ${e.revision}${subject}`, ...commit });
    const changed = `${e.changed} ${e.changed === 1 ? 'instance' : 'instances'} changed`;
    const issues = e.complete ? '' : `; the tree did not parse completely (${e.issues} ${e.issues === 1 ? 'issue' : 'issues'}): removals are frozen`;
    this.#record({
      kind: 'revision-applied', severity: e.complete ? 'info' : 'warning', key: null, instanceId: null, revision: e.revision,
      reason: e.complete ? 'Applied' : 'AppliedIncomplete', message: `revision ${e.revision} handed to the controller: ${changed}${issues}`,
      durationMs: Math.max(0, this.#deps.clock.now() - e.seenAtMs), ...commit,
    });
  }

  #finished(e: ControllerEventMap['reconcile:finished']): void {
    const instanceId = e.instanceId ?? null;
    const revision = this.#deps.revision();
    if (e.error !== undefined) {
      const retrying = isRetryable(e.error);
      const { reason, message } = failureStatus(e.error, { attempts: 0, errorRetries: 1, instanceId, revision, nextRetryAt: null });
      this.#record({ kind: 'action-failed', severity: retrying ? 'warning' : 'error', key: e.key, instanceId, revision, reason, message, durationMs: e.durationMs });
      return;
    }
    if (e.action !== undefined) {
      const id = instanceId ?? ('id' in e.action ? e.action.id : null);
      this.#record({ kind: 'action-succeeded', severity: 'info', key: e.key, instanceId: id, revision, reason: succeededReasons[e.action.kind],
        message: describeAction(e.action), action: e.action.kind, durationMs: e.durationMs });
    }
    const driftedAt = this.#drifted.get(e.key);
    if (driftedAt !== undefined && e.plan?.kind === 'in-sync') {
      this.#drifted.delete(e.key);
      this.#record({ kind: 'drift-healed', severity: 'info', key: e.key, instanceId, revision, reason: 'DriftHealed', message: 'live state matches the manifest again',
        durationMs: Math.max(0, this.#deps.clock.now() - driftedAt) });
    }
  }

  #driftDetected(e: ControllerEventMap['drift:detected']): void {
    this.#drifted.set(e.key, this.#deps.clock.now());
    this.#record({ kind: 'drift-detected', severity: 'warning', key: e.key, instanceId: e.instanceId, revision: this.#deps.revision(), reason: 'Drifted',
      message: `changed in Rancher away from its manifest after being in sync: ${e.action} issued`, action: e.action });
  }

  #phaseChanged(e: ControllerEventMap['phase:changed']): void {
    if (e.phase === 'failed') {
      this.#record({ kind: 'instance-failed', severity: 'error', key: e.key, instanceId: e.instanceId, revision: e.revision, reason: e.reason, message: e.message });
    } else if (e.phase === 'blocked' && !refusedRemovalReasons.has(e.reason)) {
      this.#record({ kind: 'instance-blocked', severity: 'warning', key: e.key, instanceId: e.instanceId, revision: e.revision, reason: e.reason, message: e.message });
    }
  }

  #apiCondition(e: ControllerEventMap['api:condition']): void {
    const previous = this.#condition;
    this.#condition = e.api;
    if (e.api.condition !== 'unauthorized') return;
    if (previous?.condition === 'unauthorized' && previous.message === e.api.message) return;
    this.#record({ kind: 'credentials-rejected', severity: 'error', key: null, instanceId: null, revision: this.#deps.revision(),
      reason: e.api.status === 403 ? 'Forbidden' : 'Unauthorized', message: e.api.message });
  }
}
