/**
 * StatusBook: the per-key status the controller writes and `/status`, `/metrics` and `apply` read.
 * It logs one line when a key's phase or reason changes (never on every pass), Flux style.
 */
import type { Logger } from '../logger.js';
import type { InstanceKey } from '../domain/instance.js';
import type { FieldChange } from '../domain/plan.js';
import type { ControllerEvents } from './events.js';
import { type InstanceStatus, type Phase, type PhaseSummary } from '../domain/status.js';

/** The fields a pass reports; the book fills `name`, keeps `lastAction` when not given. */
export type StatusUpdate = Readonly<{
  id: string | null;
  phase: Phase;
  reason: string;
  message: string;
  lastAction?: string | null;
  attempts: number;
  nextRetryAt: string | null;
  revision: string | null;
  /** What the plan asks the operator to see now (a same-name container we do not own, ...). */
  notices?: readonly string[];
  /** One-off facts of this pass (`moved from web-old`, `removing surplus twin 1i7`): kept until replaced. */
  notes?: readonly string[];
  /** Rancher's state of the container this pass saw; the previous one is kept when not given (a failed pass). */
  liveState?: string;
  /** The differing fields of a pending update or a blocked change, masked (domain/sensitive.ts). */
  changes?: readonly FieldChange[];
}>;

/** How many one-off notes a key keeps. */
const keptNotes = 5;

const quietReasons: ReadonlySet<string> = new Set(['OverDeleteBudget', 'RemovalFrozen']);

/** `now` (epoch ms) stamps `updatedAt`; without it the statuses carry none. */
export type StatusBookDeps = Readonly<{ log: Logger; now?: () => number; events?: ControllerEvents }>;

/** `liveState` (kept from before when a pass saw none), `changes` and `updatedAt` (moves only when what a person reads changes). */
function optionalFields(update: StatusUpdate, previous: InstanceStatus | undefined, now: (() => number) | undefined): Pick<InstanceStatus, 'liveState' | 'changes' | 'updatedAt'> {
  const liveState = update.liveState ?? previous?.liveState;
  const same = previous !== undefined && previous.phase === update.phase && previous.reason === update.reason && previous.message === update.message;
  const updatedAt = same ? previous.updatedAt : now === undefined ? undefined : new Date(now()).toISOString();
  return {
    ...(liveState === undefined ? {} : { liveState }),
    ...(update.changes === undefined || update.changes.length === 0 ? {} : { changes: update.changes }),
    ...(updatedAt === undefined ? {} : { updatedAt }),
  };
}

export class StatusBook {
  readonly #log: Logger;
  readonly #now: (() => number) | undefined;
  readonly #events: ControllerEvents | undefined;
  readonly #entries = new Map<InstanceKey, InstanceStatus>();
  /** Kept incrementally: the controller reads it after every pass. */
  readonly #counts: Record<Phase, number> = { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, suspended: 0 };

  constructor(deps: StatusBookDeps) {
    this.#log = deps.log;
    this.#now = deps.now;
    this.#events = deps.events;
  }

  /** Records the outcome of a pass; returns the previous status (undefined for a new key). */
  set(key: InstanceKey, update: StatusUpdate): InstanceStatus | undefined {
    const previous = this.#entries.get(key);
    const next: InstanceStatus = {
      name: key,
      id: update.id,
      phase: update.phase,
      reason: update.reason,
      message: update.message,
      lastAction: update.lastAction === undefined ? (previous?.lastAction ?? null) : update.lastAction,
      attempts: update.attempts,
      nextRetryAt: update.nextRetryAt,
      revision: update.revision,
      notices: update.notices ?? [],
      notes: [...(previous?.notes ?? []), ...(update.notes ?? [])].filter((n, i, all) => all.lastIndexOf(n) === i).slice(-keptNotes),
      ...optionalFields(update, previous, this.#now),
    };
    this.#entries.set(key, next);
    if (previous !== undefined) this.#counts[previous.phase] -= 1;
    this.#counts[next.phase] += 1;
    if (previous?.phase !== next.phase || previous.reason !== next.reason) {
      const fields = { key, instanceId: next.id, phase: next.phase, reason: next.reason, previousPhase: previous?.phase ?? null, revision: next.revision };
      if (next.phase === 'failed') this.#log.warn({ ...fields, attempt: next.attempts, detail: next.message }, 'phase changed');
      // Refused removals are reported once per revision by the controller ('removals refused'): info here.
      else if (next.phase === 'blocked' && !quietReasons.has(next.reason)) this.#log.warn({ ...fields, detail: next.message }, 'phase changed');
      else this.#log.info(fields, 'phase changed');
      this.#events?.emit('phase:changed', { key, instanceId: next.id, phase: next.phase, previousPhase: previous?.phase ?? null, reason: next.reason, message: next.message, revision: next.revision });
    }
    return previous;
  }

  get(key: InstanceKey): InstanceStatus | undefined {
    return this.#entries.get(key);
  }

  /** Drops a key that is no longer managed (no manifest and no inventory entry). */
  delete(key: InstanceKey): void {
    const previous = this.#entries.get(key);
    if (previous === undefined) return;
    this.#entries.delete(key);
    this.#counts[previous.phase] -= 1;
    this.#log.info({ key }, 'instance no longer managed');
  }

  /** Every status, sorted by name. */
  list(): InstanceStatus[] {
    return [...this.#entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  keys(): InstanceKey[] {
    return [...this.#entries.keys()];
  }

  /** Instances per phase plus the total; O(1). */
  summary(): PhaseSummary {
    return { ...this.#counts, total: this.#entries.size };
  }

  get size(): number {
    return this.#entries.size;
  }
}
