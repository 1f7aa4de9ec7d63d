/**
 * Wiring: what is built from what, for one Rancher environment: its own client and rate limiter, live
 * cache and Rancher event stream, queue, inventory (in the environment's state folder), budgets and
 * readiness, so that one environment's trouble never slows another. What the environments share (the
 * event history, the suspension, the process metrics) comes in `shared` (shared-wiring.ts). Constructs
 * and connects; starts nothing (start-steps.ts does, in order). Called only by the composition root (app.ts).
 */
import type { Clock } from '../clock.js';
import { describeConfig, type Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EnvironmentStatusSource } from '../domain/status.js';
import { ApiConditionTracker } from '../controller/api-condition-tracker.js';
import { Controller } from '../controller/controller.js';
import { ControllerEvents } from '../controller/events.js';
import { Inventory } from '../controller/inventory.js';
import { LateCommitWatch } from '../controller/late-commit-watch.js';
import { RemovalGate } from '../controller/prune-budget.js';
import { InstanceReconciler } from '../controller/reconciler.js';
import { RecreateGate } from '../controller/recreate-gate.js';
import type { DaemonSuspension } from '../controller/suspension.js';
import { inSubset } from '../controller/subset.js';
import { DesiredStore } from '../manifest/store.js';
import type { Metrics } from '../observability/metrics.js';
import { openRancher, type RancherConnection } from '../rancher-connection.js';
import type { LiveCache } from '../rancher/live-cache.js';
import type { GitSource } from '../source/git-source.js';
import type { ManifestSource } from '../source/source.js';
import type { EventJournal } from '../observability/event-journal.js';
import { recordEvents, withInstanceEvents } from './event-wiring.js';
import { readinessOf } from './readiness.js';
import { wireLeadership, type Leadership } from './leadership.js';
import type { LeadershipStatus } from '../leader/elector.js';
import { createSource } from './source-wiring.js';
import type { SharedParts } from './shared-wiring.js';

export type AppMode = 'run' | 'apply';

const withLeadership = (leadership: LeadershipStatus | undefined): { leadership?: LeadershipStatus } => (leadership === undefined ? {} : { leadership });

/** Everything one environment's app is made of. */
export type AppParts = Readonly<{
  /** The environment's name (`default` for the one the flags define). */
  name: string;
  /** The process configuration narrowed to this environment (config/environment-config.ts). */
  config: Config;
  mode: AppMode;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  rancher: RancherConnection;
  desired: DesiredStore;
  inventory: Inventory;
  events: ControllerEvents;
  live: LiveCache;
  apiCondition: ApiConditionTracker;
  controller: Controller;
  lateCommits: LateCommitWatch;
  /** Run mode: the whole daemon's suspension (POST /suspend), loaded from the state dir at start. */
  suspension: DaemonSuspension | undefined;
  /** The manifest source: run mode, and apply with the git source (apply reads a folder once with loadTree). */
  source: ManifestSource | undefined;
  /** The git source (also `source`) when `--git-url` is set: the webhook receivers' target. */
  git: GitSource | undefined;
  /** Records that a manifest snapshot parsed completely (readiness). */
  noteSnapshot(complete: boolean): void;
  status: EnvironmentStatusSource;
  /** The daemon's event history, shared by every environment (`GET /events`, `/status` per instance). */
  journal: EventJournal;
  /** Who acts (app/leadership.ts): always this process with the file store; the leader with a shared one. */
  leadership: Leadership;
}>;

function wireController(config: Config, clock: Clock, log: Logger, parts: Pick<AppParts, 'metrics' | 'rancher' | 'desired' | 'inventory' | 'events' | 'live' | 'lateCommits' | 'suspension' | 'leadership'>): Controller {
  const { metrics, rancher, desired, inventory, events, live, lateCommits, suspension, leadership } = parts;
  const removals = new RemovalGate();
  const recreates = new RecreateGate({
    inventory,
    maxUnavailable: config.reconcile.maxUnavailable,
    declaredCount: () => desired.keys().length,
    nowIso: () => new Date(clock.now()).toISOString(),
  });
  const reconciler = new InstanceReconciler({
    desired, live, api: rancher.api, inventory, clock, recreates,
    log: log.child({ component: 'reconciler' }),
    removalPolicy: (key) => removals.policyFor(key),
    inSubset: (key) => inSubset(config.subset, key, { desired, inventory, live }),
    onTwinRemoved: (key, instanceId) => {
      metrics.incTwinsRemoved();
      events.emit('twin:removed', { key, instanceId });
    },
    onCreateInDoubt: () => lateCommits.noteInDoubt(),
    daemonSuspended: () => suspension?.active === true,
    ...(leadership.elects ? { standby: leadership.standby } : {}),
    errorRetries: config.reconcile.errorRetries,
  });
  const { concurrency, backoff, prune, maxDelete, resyncMs, errorRetries } = config.reconcile;
  return new Controller({
    desired, live, inventory, reconciler, removals, events, clock, metrics,
    log: log.child({ component: 'controller' }),
    settings: { concurrency, backoff, prune, maxDelete, resyncMs, errorRetries, subset: config.subset },
  });
}

function wireStatus(parts: Pick<AppParts, 'name' | 'controller' | 'apiCondition' | 'live' | 'desired' | 'source' | 'suspension' | 'journal' | 'leadership'>, parsedCompletely: () => boolean): EnvironmentStatusSource {
  const { name, controller, apiCondition, live, desired, source, suspension, journal, leadership } = parts;
  const readiness = (): { ready: boolean; reasons: string[] } => readinessOf({
    apiReason: (liveReady) => apiCondition.notReadyReason(liveReady), sourceReason: () => source?.notReadyReason(), live, desired, parsedCompletely,
  });
  return {
    status: () => ({
      ...withInstanceEvents(controller.status(readiness().ready), journal, name), api: apiCondition.status,
      ...(source === undefined ? {} : { source: source.status() }),
      ...(suspension === undefined ? {} : { suspended: suspension.status }),
      ...withLeadership(leadership.status()),
    }),
    health: () => controller.health(),
    readiness,
    requestReconcile: () => {
      void source?.reload('manual');
      controller.enqueueAll();
    },
  };
}

/**
 * Builds one environment's services from `config` narrowed to it. Starts the embedded emulator when the
 * environment has no URL (I/O, hence async). `log` already names the environment when there are several.
 */
export async function wireEnvironment(config: Config, mode: AppMode, deps: Readonly<{ name: string; log: Logger; clock: Clock; metrics: Metrics; shared: SharedParts }>): Promise<AppParts> {
  const { clock, log, metrics, name, shared } = deps;
  const { journal, suspension } = shared;
  log.info(describeConfig(config), 'configuration loaded');
  const leadership = wireLeadership({ name, stateDir: config.stateDir, store: shared.store, spreader: shared.spreader, replica: config.replica, clock, log, metrics: metrics.leader, journal });
  const rancher = await openRancher(config, { log, clock, metrics, ...(leadership.elects ? { fence: leadership.mayMutate, replica: config.replica.id } : {}) });
  const desired = new DesiredStore();
  const store = leadership.inventoryStore;
  const inventory = new Inventory({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'inventory' }), ...(store === undefined ? {} : { store }) });
  const events = new ControllerEvents({ log: log.child({ component: 'events' }) });
  recordEvents({ clock, journal, environment: name, events, revision: () => controller.revision, source: () => source });
  const live = rancher.createLiveCache({
    resyncMs: config.reconcile.resyncMs,
    onListError: (error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) events.emit('api:unauthorized', { error });
    },
  });
  const apiCondition = new ApiConditionTracker({ clock, log: log.child({ component: 'api' }), events, metrics });
  apiCondition.watch({ live, events });
  const lateCommits = new LateCommitWatch({ clock, requestTimeoutMs: config.api.timeoutMs });
  shared.onResume.add(() => controller.enqueueAll());
  const controller = wireController(config, clock, log, { metrics, rancher, desired, inventory, events, live, lateCommits, suspension, leadership });
  const { source, git } = createSource(config, mode, {
    store: desired, log, clock, metrics, stateDir: rancher.stateDir, onConditionChange: (change) => events.emit('source:condition', change),
  });
  if (source !== undefined) events.on('revision:converged', ({ revision }) => source.noteConverged(revision, clock.now()));
  let parsedCompletely = false;
  const status = wireStatus({ name, controller, apiCondition, live, desired, source, suspension, journal, leadership }, () => parsedCompletely);
  const noteSnapshot = (complete: boolean): void => {
    parsedCompletely ||= complete;
  };
  return { name, config, mode, clock, log, metrics, rancher, desired, inventory, events, live, apiCondition, controller, lateCommits, suspension, source, git, noteSnapshot, status, journal, leadership };
}
