/**
 * The composition root: the only module that constructs the long-lived services and wires them.
 * `run` mode watches the manifest tree and serves status/metrics/health; `apply` mode reads the tree
 * once and stops when the controller has settled (see commands/apply.ts).
 */
import { systemClock, type Clock } from './clock.js';
import { describeConfig, type Config } from './config.js';
import { ApiError, ReconcilerError, coerceError } from './errors.js';
import type { Logger } from './logger.js';
import type { InstanceKey } from './domain/instance.js';
import type { StatusSource } from './domain/status.js';
import { ApiConditionTracker } from './controller/api-condition-tracker.js';
import { Controller } from './controller/controller.js';
import { ControllerEvents } from './controller/events.js';
import { Inventory } from './controller/inventory.js';
import { InstanceReconciler } from './controller/reconciler.js';
import { StateLock } from './controller/state-lock.js';
import { RemovalGate } from './controller/prune-budget.js';
import { RecreateGate } from './controller/recreate-gate.js';
import { startStatusServer, type StatusServer } from './http/status-server.js';
import { loadTree } from './manifest/load-tree.js';
import { DesiredStore } from './manifest/store.js';
import { ManifestWatcher } from './manifest/watcher.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { openRancher, type RancherConnection } from './rancher-connection.js';

export type AppMode = 'run' | 'apply';

export type AppDeps = Readonly<{
  log: Logger;
  clock?: Clock;
  /** Registers a SIGHUP listener (run mode: forced re-read). */
  onHangup?: (listener: () => void) => () => void;
}>;

export type App = Readonly<{
  controller: Controller;
  events: ControllerEvents;
  desired: DesiredStore;
  inventory: Inventory;
  metrics: Metrics;
  rancher: RancherConnection;
  /** Base URL of the status server (run mode, after start). */
  statusUrl(): string | undefined;
  /** First full list and first manifest read done. */
  ready(): boolean;
  /**
   * How long a late-committed create may still appear: a create whose answer was lost can be committed
   * by Rancher after the client gave up (a proxy answering 504 while Rancher carries on). `apply` does not
   * end before this is 0; 0 when no create was in doubt.
   */
  lateCommitPendingMs(): number;
  /** Lists live state again and looks at every key (after the late-commit window: a twin shows up). */
  recheck(): Promise<void>;
  start(): Promise<void>;
  /** Stops everything in reverse order; waits up to `config.shutdownGraceMs` for in-flight calls. Idempotent. */
  stop(): Promise<void>;
}>;

/** Builds the app. Starts the embedded emulator when no URL is configured (that is I/O, hence async). */
export async function createApp(config: Config, mode: AppMode, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  log.info(describeConfig(config), 'configuration loaded');
  const metrics = createMetrics();
  const rancher = await openRancher(config, { log, clock, metrics });
  const desired = new DesiredStore();
  const inventory = new Inventory({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'inventory' }) });
  const events = new ControllerEvents({ log: log.child({ component: 'events' }) });
  const live = rancher.createLiveCache({
    resyncMs: config.reconcile.resyncMs,
    onListError: (error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) events.emit('api:unauthorized', { error });
    },
  });
  const apiCondition = new ApiConditionTracker({ clock, log: log.child({ component: 'api' }), events, metrics });
  apiCondition.watch({ live, events });
  const removals = new RemovalGate();
  /** When the last create whose outcome is unknown failed; see lateCommitPendingMs. */
  let lastCreateInDoubtAt: number | undefined;
  // twice the request timeout, and never under 5 s: how late a commit behind a proxy is looked for
  const lateCommitWindowMs = Math.max(5_000, 2 * config.api.timeoutMs);
  const recreates = new RecreateGate({
    inventory,
    maxUnavailable: config.reconcile.maxUnavailable,
    declaredCount: () => desired.keys().length,
    nowIso: () => new Date(clock.now()).toISOString(),
  });
  const reconciler = new InstanceReconciler({
    desired,
    live,
    api: rancher.api,
    inventory,
    clock,
    log: log.child({ component: 'reconciler' }),
    removalPolicy: (key: InstanceKey) => removals.policyFor(key),
    recreates,
    onTwinRemoved: () => metrics.incTwinsRemoved(),
    onCreateInDoubt: () => {
      lastCreateInDoubtAt = clock.now();
    },
    errorRetries: config.reconcile.errorRetries,
  });
  const controller = new Controller({
    desired,
    live,
    inventory,
    reconciler,
    removals,
    events,
    clock,
    log: log.child({ component: 'controller' }),
    metrics,
    settings: {
      concurrency: config.reconcile.concurrency,
      backoff: config.reconcile.backoff,
      prune: config.reconcile.prune,
      maxDelete: config.reconcile.maxDelete,
      resyncMs: config.reconcile.resyncMs,
      errorRetries: config.reconcile.errorRetries,
    },
  });
  const watcher =
    mode === 'run'
      ? new ManifestWatcher({ dir: config.manifests.dir, store: desired, log, clock, debounceMs: config.manifests.debounceMs, resyncMs: config.reconcile.resyncMs, maxFileBytes: config.manifests.maxFileBytes })
      : undefined;
  // Readiness needs one complete parse of the tree (not merely a read that found the folder missing).
  let parsedCompletely = false;
  const noteSnapshot = (complete: boolean): void => {
    parsedCompletely ||= complete;
  };
  const readiness = (): { ready: boolean; reasons: string[] } => {
    const reasons: string[] = [];
    const apiReason = apiCondition.notReadyReason(live.ready);
    if (apiReason !== undefined) reasons.push(apiReason);
    if (!desired.loaded) reasons.push('manifests not read yet');
    else if (!parsedCompletely) reasons.push('manifests not parsed completely yet (see /status manifestIssues)');
    if (!live.ready && apiReason === undefined) reasons.push('live state not listed yet');
    return { ready: reasons.length === 0, reasons };
  };
  const ready = (): boolean => readiness().ready;
  const source: StatusSource = {
    status: () => ({ ...controller.status(ready()), api: apiCondition.status }),
    health: () => controller.health(),
    readiness,
    requestReconcile: () => {
      void watcher?.reload('manual');
      controller.enqueueAll();
    },
  };

  let server: StatusServer | undefined;
  /** Undo steps, registered before the step they undo and run in reverse order by stop(). */
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  /** Aborted by stop(): start() gives up at its next step (it may be waiting for Rancher forever). */
  const startAbort = new AbortController();
  const stillStarting = (): void => {
    if (startAbort.signal.aborted) throw new ReconcilerError('ERR_INTERNAL', 'start interrupted by shutdown');
  };

  async function doStart(): Promise<void> {
    cleanups.push(() => rancher.close());
    // one writer per state dir; released before rancher.close() (which removes an embedded temp dir)
    const lock = new StateLock({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'state-lock' }) });
    await lock.acquire();
    cleanups.push(() => lock.release(), () => inventory.stop());
    const loaded = await inventory.load({ onCorrupt: 'quarantine' });
    log.info({ entries: loaded.entries, stateDir: rancher.stateDir, ...(loaded.quarantined ? { quarantined: loaded.quarantined } : {}) }, 'inventory loaded');
    stillStarting();
    if (mode === 'run') {
      cleanups.push(() => server?.close());
      server = await startStatusServer({ host: config.http.host, port: config.http.port, log, metrics, source, ...(config.http.reconcileToken === undefined ? {} : { reconcileToken: config.http.reconcileToken }) });
      log.info({ status: `${server.url}/status`, metrics: `${server.url}/metrics`, health: `${server.url}/healthz` }, 'status and metrics served');
      stillStarting();
    }
    cleanups.push(() => live.stop());
    live.start();
    await live.waitReady(startAbort.signal);
    stillStarting();
    cleanups.push(async () => {
      await controller.stop(config.shutdownGraceMs);
      await inventory.flush();
    });
    if (watcher !== undefined) {
      watcher.onSnapshot((event) => {
        noteSnapshot(event.complete);
        controller.onSnapshot(event);
      });
      cleanups.push(() => watcher.stop());
      await watcher.start();
      stillStarting();
      const off = deps.onHangup?.(() => void watcher.reload('signal'));
      if (off) cleanups.push(off);
    } else {
      const snapshot = await loadTree(config.manifests.dir, { maxFileBytes: config.manifests.maxFileBytes });
      stillStarting();
      const changed = desired.apply(snapshot);
      noteSnapshot(snapshot.complete);
      controller.onSnapshot({ revision: snapshot.revision, changed, issues: snapshot.issues });
    }
    controller.start();
  }

  function start(): Promise<void> {
    starting ??= doStart();
    return starting;
  }

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      // a stop during start: interrupt it and let it settle first, so nothing it starts is left running
      startAbort.abort();
      await starting?.catch(() => undefined);
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup();
        } catch (e: unknown) {
          log.error({ err: coerceError(e) }, 'shutdown step failed');
        }
      }
    })();
    return stopping;
  }

  const lateCommitPendingMs = (): number => (lastCreateInDoubtAt === undefined ? 0 : Math.max(0, lastCreateInDoubtAt + lateCommitWindowMs - clock.now()));
  const recheck = async (): Promise<void> => {
    await live.relist();
    controller.enqueueAll();
  };
  return { controller, events, desired, inventory, metrics, rancher, statusUrl: () => server?.url, ready, lateCommitPendingMs, recheck, start, stop };
}
