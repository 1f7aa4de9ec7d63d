/**
 * Wiring: what is built from what, for one Rancher environment. Constructs the services and connects
 * them; starts nothing (start-steps.ts does, in order). Called only by the composition root (app.ts).
 */
import type { Clock } from '../clock.js';
import { describeConfig, type Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StatusSource } from '../domain/status.js';
import { ApiConditionTracker } from '../controller/api-condition-tracker.js';
import { Controller } from '../controller/controller.js';
import { ControllerEvents } from '../controller/events.js';
import { Inventory } from '../controller/inventory.js';
import { LateCommitWatch } from '../controller/late-commit-watch.js';
import { RemovalGate } from '../controller/prune-budget.js';
import { InstanceReconciler } from '../controller/reconciler.js';
import { RecreateGate } from '../controller/recreate-gate.js';
import { DaemonSuspension } from '../controller/suspension.js';
import { inSubset } from '../controller/subset.js';
import { DesiredStore } from '../manifest/store.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { openRancher, type RancherConnection } from '../rancher-connection.js';
import type { LiveCache } from '../rancher/live-cache.js';
import type { GitSource } from '../source/git-source.js';
import type { ManifestSource } from '../source/source.js';
import type { EventJournal } from '../observability/event-journal.js';
import { wireEvents, withInstanceEvents } from './event-wiring.js';
import { Notifier } from '../notify/notifier.js';
import { readinessOf } from './readiness.js';
import { createSource } from './source-wiring.js';

export type AppMode = 'run' | 'apply';

/** Everything one environment's app is made of. */
export type AppParts = Readonly<{
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
  status: StatusSource;
  /** The event history (`GET /events`, `/events/stream`, `/status` per instance; notifications subscribe to it). */
  journal: EventJournal;
  /** Run mode with a `notifications` section in the config file: tells the providers about the journal's events. */
  notifier: Notifier | undefined;
}>;

function wireController(config: Config, clock: Clock, log: Logger, parts: Pick<AppParts, 'metrics' | 'rancher' | 'desired' | 'inventory' | 'events' | 'live' | 'lateCommits' | 'suspension'>): Controller {
  const { metrics, rancher, desired, inventory, events, live, lateCommits, suspension } = parts;
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
    errorRetries: config.reconcile.errorRetries,
  });
  const { concurrency, backoff, prune, maxDelete, resyncMs, errorRetries } = config.reconcile;
  return new Controller({
    desired, live, inventory, reconciler, removals, events, clock, metrics,
    log: log.child({ component: 'controller' }),
    settings: { concurrency, backoff, prune, maxDelete, resyncMs, errorRetries, subset: config.subset },
  });
}

function wireStatus(parts: Pick<AppParts, 'controller' | 'apiCondition' | 'live' | 'desired' | 'source' | 'suspension' | 'journal'>, parsedCompletely: () => boolean): StatusSource {
  const { controller, apiCondition, live, desired, source, suspension, journal } = parts;
  const readiness = (): { ready: boolean; reasons: string[] } => readinessOf({
    apiReason: (liveReady) => apiCondition.notReadyReason(liveReady), sourceReason: () => source?.notReadyReason(), live, desired, parsedCompletely,
  });
  return {
    status: () => ({
      ...withInstanceEvents(controller.status(readiness().ready), journal), api: apiCondition.status,
      ...(source === undefined ? {} : { source: source.status() }),
      ...(suspension === undefined ? {} : { suspended: suspension.status }),
    }),
    health: () => controller.health(),
    readiness,
    requestReconcile: () => {
      void source?.reload('manual');
      controller.enqueueAll();
    },
  };
}

/** Builds one environment's services. Starts the embedded emulator when no URL is configured (I/O, hence async). */
export async function wireApp(config: Config, mode: AppMode, deps: Readonly<{ log: Logger; clock: Clock }>): Promise<AppParts> {
  const { clock, log } = deps;
  log.info(describeConfig(config), 'configuration loaded');
  const metrics = createMetrics();
  const rancher = await openRancher(config, { log, clock, metrics });
  const desired = new DesiredStore();
  const inventory = new Inventory({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'inventory' }) });
  const events = new ControllerEvents({ log: log.child({ component: 'events' }) });
  const journal = wireEvents(config, { clock, log, metrics, events, revision: () => controller.revision, source: () => source });
  const live = rancher.createLiveCache({
    resyncMs: config.reconcile.resyncMs,
    onListError: (error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) events.emit('api:unauthorized', { error });
    },
  });
  const apiCondition = new ApiConditionTracker({ clock, log: log.child({ component: 'api' }), events, metrics });
  apiCondition.watch({ live, events });
  const lateCommits = new LateCommitWatch({ clock, requestTimeoutMs: config.api.timeoutMs });
  // a resume looks at every key again: what was held while suspended is pending
  const suspension = mode === 'run'
    ? new DaemonSuspension({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'suspension' }), metrics, onResume: () => controller.enqueueAll() })
    : undefined;
  const controller = wireController(config, clock, log, { metrics, rancher, desired, inventory, events, live, lateCommits, suspension });
  const { source, git } = createSource(config, mode, {
    store: desired, log, clock, metrics, stateDir: rancher.stateDir, onConditionChange: (change) => events.emit('source:condition', change),
  });
  if (source !== undefined) events.on('revision:converged', ({ revision }) => source.noteConverged(revision, clock.now()));
  let parsedCompletely = false;
  const status = wireStatus({ controller, apiCondition, live, desired, source, suspension, journal }, () => parsedCompletely);
  const noteSnapshot = (complete: boolean): void => {
    parsedCompletely ||= complete;
  };
  const notifier = mode === 'run' && config.notifications.length > 0 ? new Notifier({ providers: config.notifications, clock, log, metrics: metrics.notify }) : undefined;
  return { config, mode, clock, log, metrics, rancher, desired, inventory, events, live, apiCondition, controller, lateCommits, suspension, source, git, noteSnapshot, status, journal, notifier };
}
