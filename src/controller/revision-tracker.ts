/**
 * RevisionTracker: which manifest revision the controller is applying, when it was first seen, and the
 * moment it is applied (every instance in sync, tree complete). Feeds
 * `rancher_reconciler_revision_converge_seconds` (commit seen to converged) and the
 * `revision:converged` event, once per revision.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PhaseSummary } from '../domain/status.js';
import type { Metrics } from '../observability/metrics.js';
import type { ControllerEvents } from './events.js';

export type RevisionTrackerDeps = Readonly<{ clock: Clock; log: Logger; events: ControllerEvents; metrics?: Metrics }>;

export class RevisionTracker {
  readonly #deps: RevisionTrackerDeps;
  #revision: string | undefined;
  #seenAt = 0;
  #converged: string | undefined;

  constructor(deps: RevisionTrackerDeps) {
    this.#deps = deps;
  }

  /** The revision being applied; undefined before the first manifest snapshot. */
  get revision(): string | undefined {
    return this.#revision;
  }

  /**
   * Records the revision of a snapshot; a new one starts its converge clock at `seenAtMs` (the git
   * source: when its ls-remote saw the commit) or now. Returns the new revision's start (epoch ms), or
   * undefined when the revision is the current one.
   */
  see(revision: string, seenAtMs?: number): number | undefined {
    if (revision === this.#revision) return undefined;
    this.#revision = revision;
    this.#seenAt = seenAtMs ?? this.#deps.clock.now();
    return this.#seenAt;
  }

  /**
   * Called when the controller has settled: the current revision is applied when the tree parsed
   * completely and every instance is in sync. An incomplete tree is never an applied revision.
   */
  settled(summary: PhaseSummary, complete: boolean): void {
    const revision = this.#revision;
    if (revision === undefined || revision === this.#converged || !complete) return;
    if (summary['in-sync'] !== summary.total) return;
    this.#converged = revision;
    const durationMs = this.#deps.clock.now() - this.#seenAt;
    this.#deps.metrics?.observeRevisionConverged(durationMs);
    this.#deps.metrics?.setLastAppliedRevision(revision);
    this.#deps.log.info({ revision, durationMs, instances: summary.total }, 'revision converged');
    this.#deps.events.emit('revision:converged', { revision, durationMs });
  }
}
