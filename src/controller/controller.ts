/**
 * Controller: the level-triggered loop. Manifest snapshots and live changes only enqueue keys; each
 * pass of the keyed queue runs the InstanceReconciler, turns its result into queue calls (requeue.ts:
 * forget, observe later, retry with backoff, or stop until something changes) and reports it to the
 * PassObserver (status, drift, metrics, events). It also decides each revision's removals and resyncs.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError } from '../errors.js';
import { plural } from '../plural.js';
import type { Logger } from '../logger.js';
import type { InstanceKey } from '../domain/instance.js';
import type { LiveReader } from '../domain/ports.js';
import type { StatusDocument } from '../domain/status.js';
import type { DesiredReader } from '../manifest/store.js';
import type { ManifestIssue } from '../manifest/issues.js';
import type { Metrics } from '../observability/metrics.js';
import type { BackoffOptions } from '../backoff.js';
import type { ControllerEvents } from './events.js';
import type { Inventory } from './inventory.js';
import { KeyIndex } from './key-index.js';
import { replacementName } from '../domain/replace.js';
import { ownedKeys } from './owned-keys.js';
import { decideRevisionRemovals, type RemovalGate } from './prune-budget.js';
import { assertOnlyNamesKnown, inSubset, isNarrowed, selectKeys, summarizeSubset, wholeTree, type Subset, type SubsetSummary } from './subset.js';
import type { ReconcileOutcome, Reconciler } from './reconciler.js';
import { RevisionTracker } from './revision-tracker.js';
import { StatusBook } from './status-book.js';
import { ItemExponentialRateLimiter } from './rate-limiters.js';
import { WorkQueue } from './work-queue.js';
import { DriftTracker } from './drift-tracker.js';
import { PassObserver } from './pass-observer.js';
import { applyRequeue, requeueFor, type PassResult } from './requeue.js';

export type ControllerSettings = Readonly<{
  concurrency: number;
  backoff: BackoffOptions;
  prune: boolean;
  maxDelete: number | undefined;
  /** Every key is looked at again this often (0 = never). */
  resyncMs: number;
  /** Retryable failures of a key before its phase turns `failed`. */
  errorRetries: number;
  /** Work queued but no pass finished for this long: /healthz fails. Default 5 min. */
  wedgedAfterMs?: number;
  /** `apply --only/--selector`: the only keys ever queued (subset.ts). Default: the whole tree. */
  subset?: Subset;
}>;

export type ControllerDeps = Readonly<{
  desired: DesiredReader;
  live: LiveReader;
  inventory: Inventory;
  reconciler: Reconciler;
  /** Where this controller records each revision's removal decision (the reconciler reads it). */
  removals: RemovalGate;
  events: ControllerEvents;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  settings: ControllerSettings;
}>;

export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queue: WorkQueue;
  readonly #status: StatusBook;
  readonly #index = new KeyIndex();
  #issues: readonly ManifestIssue[] = [];
  /** Orphans of the current revision, for `/status` when their removal is refused. */
  #orphanKeys: readonly InstanceKey[] = [];
  readonly #revisions: RevisionTracker;
  #lastProgressAt: number;
  #resyncTimer: TimerHandle | undefined;
  #settleTimer: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #drift = new DriftTracker();
  readonly #observer: PassObserver;
  #started = false;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#status = new StatusBook({ log: deps.log, now: () => deps.clock.now(), events: deps.events });
    this.#revisions = new RevisionTracker({ clock: deps.clock, log: deps.log, events: deps.events, ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }) });
    this.#lastProgressAt = deps.clock.now();
    this.#queue = new WorkQueue({
      clock: deps.clock,
      concurrency: deps.settings.concurrency,
      rateLimiter: new ItemExponentialRateLimiter({ backoff: deps.settings.backoff }),
      handler: (key, signal) => this.#pass(key, signal),
      onError: (key, error) => deps.log.error({ key, err: error }, 'reconcile pass crashed'),
    });
    this.#observer = new PassObserver({
      status: this.#status,
      drift: this.#drift,
      events: deps.events,
      log: deps.log,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
      queue: this.#queue,
      revision: () => this.#revisions.revision ?? null,
      instanceIdOf: (key) => deps.inventory.get(key)?.id ?? null,
      errorRetries: deps.settings.errorRetries,
    });
  }

  /**
   * Starts listening to live changes and the resync timer, and enqueues every known key. Throws
   * ConfigError when `--only` names nothing declared or owned (known only once the tree, the inventory
   * and the first list are read, as they are by now).
   */
  start(): void {
    if (this.#started) return;
    assertOnlyNamesKnown(this.#subset, this.#deps);
    this.#started = true;
    this.#unsubscribe = this.#deps.live.onChange((change) => {
      for (const key of this.#index.keysFor(change)) if (this.#inSubset(key)) this.#queue.add(key);
    });
    this.#scheduleResync();
    this.#reindexAll();
    this.#decideRemovals();
    this.enqueueAll();
  }

  /**
   * Takes in a newly applied manifest snapshot: re-indexes, decides removals for the revision and
   * enqueues the changed keys (every key when the revision is new).
   */
  onSnapshot(event: Readonly<{ revision: string; changed: ReadonlySet<InstanceKey>; issues: readonly ManifestIssue[]; seenAtMs?: number }>): void {
    this.#issues = event.issues;
    this.#deps.metrics?.setManifestErrors(event.issues.length);
    const seenAtMs = this.#revisions.see(event.revision, event.seenAtMs);
    if (seenAtMs !== undefined) {
      this.#deps.events.emit('revision:seen', { revision: event.revision, seenAtMs, complete: this.#deps.desired.complete, changed: event.changed.size, issues: event.issues.length });
    }
    for (const key of event.changed) {
      this.#drift.forget(key);
      // a new manifest for the key: its error-retry budget and wait deadline start over
      this.#deps.reconciler.forget(key);
      this.#reindex(key);
    }
    this.#decideRemovals();
    if (!this.#started) return;
    for (const key of event.changed) if (this.#inSubset(key)) this.#queue.add(key);
    // Orphans and refused removals depend on the whole revision, not only on the changed keys.
    for (const key of this.#orphanKeys) this.#queue.add(key);
    this.#scheduleSettleCheck();
  }

  /** Every key this controller looks after: declared in a manifest, or owned in the inventory; narrowed to the subset. */
  managedKeys(): Set<InstanceKey> {
    return new Set(selectKeys(this.#subset, this.#deps).keys);
  }

  /** The subset this controller works on and how many keys it leaves out; null for the whole tree. */
  subsetSummary(): SubsetSummary | null {
    return summarizeSubset(this.#subset, selectKeys(this.#subset, this.#deps));
  }

  get #subset(): Subset {
    return this.#deps.settings.subset ?? wholeTree;
  }

  #inSubset(key: InstanceKey): boolean {
    return inSubset(this.#subset, key, this.#deps);
  }

  /** Enqueues every managed or declared key (resync, POST /reconcile). */
  enqueueAll(): void {
    for (const key of this.managedKeys()) this.#queue.add(key);
    this.#scheduleSettleCheck();
  }

  /** Stops intake; waits up to `graceMs` for running passes, then aborts them. */
  async stop(graceMs: number): Promise<void> {
    this.#unsubscribe?.();
    if (this.#resyncTimer) this.#deps.clock.clearTimeout(this.#resyncTimer);
    if (this.#settleTimer) this.#deps.clock.clearTimeout(this.#settleTimer);
    let timer: TimerHandle | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = this.#deps.clock.setTimeout(() => resolve('timeout'), graceMs);
    });
    // Waiting keys are dropped (a restart re-reads everything); running passes finish their call within
    // the grace period: an aborted call could land without its inventory record (e.g. a restart token).
    const drained = await Promise.race([this.#queue.shutdown({ drain: false, abortRunning: false }).then(() => 'drained' as const), grace]);
    if (timer) this.#deps.clock.clearTimeout(timer);
    if (drained === 'timeout') {
      this.#deps.log.warn({ graceMs }, 'shutdown grace period over: aborting in-flight calls');
      await this.#queue.shutdown({ drain: false });
    }
  }

  /** The manifest revision being applied; undefined before the first snapshot. */
  get revision(): string | undefined {
    return this.#revisions.revision;
  }

  get statusBook(): StatusBook {
    return this.#status;
  }

  /** Nothing queued, running or scheduled. */
  get settled(): boolean {
    const stats = this.#queue.stats();
    return stats.depth === 0 && stats.processing === 0 && stats.delayed === 0;
  }

  /** The `/status` document, but for `api` (the composition root adds the API condition). */
  status(ready: boolean): Omit<StatusDocument, 'api'> {
    const decision = this.#deps.removals.decision;
    const refused = decision.kind === 'refused' ? decision : undefined;
    return {
      revision: this.#revisions.revision ?? null,
      complete: this.#deps.desired.complete,
      ready,
      summary: this.#status.summary(),
      instances: this.#status.list(),
      manifestIssues: this.#issues.map((i) => ({ file: i.file, line: i.line, col: i.col, message: i.message })),
      removalsRefused:
        refused === undefined ? null : { revision: this.#revisions.revision ?? null, names: this.#orphanKeys, budget: refused.budget, message: refused.message },
    };
  }

  /** Liveness: work is queued but no pass finished for `wedgedAfterMs`. */
  health(): { ok: boolean; reason?: string } {
    const stats = this.#queue.stats();
    const idleFor = this.#deps.clock.now() - this.#lastProgressAt;
    const limit = this.#deps.settings.wedgedAfterMs ?? 300_000;
    if ((stats.depth > 0 || stats.processing > 0) && idleFor > limit) {
      return { ok: false, reason: `${plural(stats.depth, 'key')} queued and ${stats.processing} running, but no pass finished for ${Math.round(idleFor / 1000)}s` };
    }
    return { ok: true };
  }

  /** One pass: reconcile, requeue (requeue.ts), report (pass-observer.ts). */
  async #pass(key: InstanceKey, signal: AbortSignal): Promise<void> {
    const { clock, reconciler } = this.#deps;
    const started = clock.now();
    const result = await reconciler.reconcile(key, signal).then(
      (outcome): PassResult => ({ outcome }),
      (e: unknown): PassResult => ({ error: coerceError(e) }),
    );
    const durationMs = clock.now() - started;
    this.#lastProgressAt = clock.now();
    this.#reindex(key);
    const requeue = requeueFor(result);
    applyRequeue(this.#queue, key, requeue);
    const moved = result.outcome?.plan.inventory;
    // a rename moved the old key's container here: the old key is looked at again (and dropped)
    if (moved?.kind === 'move') this.#queue.add(moved.from);
    const unmanaged = result.outcome !== undefined && this.#noLongerManaged(key, result.outcome);
    if (unmanaged) {
      this.#index.delete(key);
      reconciler.forget(key);
    }
    this.#observer.observe(key, result, requeue, durationMs, unmanaged);
    this.#scheduleSettleCheck();
  }

  /** In sync with no manifest and nothing owned (never was, or its container is gone). */
  #noLongerManaged(key: InstanceKey, outcome: ReconcileOutcome): boolean {
    const { plan } = outcome;
    return plan.kind === 'in-sync' && (plan.note === 'unmanaged' || plan.note === 'gone') && this.#deps.desired.get(key) === undefined;
  }

  #reindex(key: InstanceKey): void {
    const desired = this.#deps.desired.get(key);
    const entry = this.#deps.inventory.get(key);
    if (desired === undefined && entry === undefined) {
      this.#index.delete(key);
      return;
    }
    // the replacement's name too: its changes move a replace on (domain/replace.ts)
    const names = [desired?.spec.name, entry?.name, desired === undefined ? undefined : replacementName(desired.spec.name)].filter((n): n is string => n !== undefined);
    this.#index.set(key, names, entry?.id);
  }

  #reindexAll(): void {
    for (const key of this.#deps.desired.keys()) this.#reindex(key);
    for (const entry of this.#deps.inventory.entries()) this.#reindex(entry.key);
  }

  #decideRemovals(): void {
    const { settings, inventory, desired, metrics, log } = this.#deps;
    const { orphans, decision } = decideRevisionRemovals({
      desired, owned: ownedKeys(inventory, this.#deps.live), prune: settings.prune, maxDelete: settings.maxDelete, inSubset: (key) => this.#inSubset(key),
    });
    this.#orphanKeys = orphans;
    const before = this.#deps.removals.decision;
    this.#deps.removals.decision = decision;
    if (decision.kind === 'refused' && (before.kind !== 'refused' || before.message !== decision.message)) {
      metrics?.incRemovalsRefused(decision.count);
      log.warn({ revision: this.#revisions.revision, count: decision.count, budget: decision.budget, reason: decision.reason, keys: orphans.slice(0, 20) }, 'removals refused');
      this.#deps.events.emit('removals:refused', { revision: this.#revisions.revision ?? null, count: decision.count, budget: decision.budget, reason: decision.reason, message: decision.message, keys: orphans });
    }
  }


  #scheduleResync(): void {
    const { resyncMs } = this.#deps.settings;
    if (resyncMs <= 0) return;
    this.#resyncTimer = this.#deps.clock.setTimeout(() => {
      const summary = this.#status.summary();
      this.#deps.log.info({ revision: this.#revisions.revision, ...summary, queueDepth: this.#queue.depth }, 'resync');
      this.enqueueAll();
      this.#scheduleResync();
    }, resyncMs);
  }

  /** After the current pass unwinds, checks whether the controller settled or the revision converged. */
  #scheduleSettleCheck(): void {
    if (this.#settleTimer !== undefined) return;
    this.#settleTimer = this.#deps.clock.setTimeout(() => {
      this.#settleTimer = undefined;
      this.#checkSettled();
    }, 0);
  }

  #checkSettled(): void {
    if (!this.settled || !this.#deps.desired.loaded || !this.#deps.live.ready) return;
    const summary = this.#status.summary();
    this.#deps.events.emit('controller:settled', { revision: this.#revisions.revision, summary });
    // a subset in sync is not the revision applied: the instances outside it were not looked at
    if (!isNarrowed(this.#subset)) this.#revisions.settled(summary, this.#deps.desired.complete);
  }
}
