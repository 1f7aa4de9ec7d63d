/**
 * The composition root: the only place that builds the long-lived services (app/shared-wiring.ts: what
 * the environments share; app/wiring.ts: what each environment is made of) and runs them
 * (app/start-steps.ts: start order; lifecycle.ts: LIFO stop and drain). `run` mode follows each
 * environment's manifest source (a folder or a git repository) and serves one status, metrics, health
 * and webhook face for all of them; `apply` mode reads the manifests once and stops when the controller
 * has settled (see commands/apply.ts, which builds one app per environment).
 */
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { listsEnvironments, selectedEnvironments } from './config/environment-config.js';
import type { Logger } from './logger.js';
import type { Controller } from './controller/controller.js';
import type { ControllerEvents } from './controller/events.js';
import type { Inventory } from './controller/inventory.js';
import type { StatusServer } from './http/status-server.js';
import type { SourceStatus } from './domain/status.js';
import type { DesiredStore } from './manifest/store.js';
import type { EventSource } from './observability/event-model.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import type { RancherConnection } from './rancher-connection.js';
import { Lifecycle } from './lifecycle.js';
import { startApp, type DaemonParts } from './app/start-steps.js';
import { wireEnvironment, type AppMode, type AppParts } from './app/wiring.js';
import { wireShared } from './app/shared-wiring.js';
import { daemonStatus } from './app/daemon-status.js';
import { daemonMetrics, labelEnvironment } from './app/daemon-metrics.js';

export type { AppMode } from './app/wiring.js';

export type AppDeps = Readonly<{
  log: Logger;
  clock?: Clock;
  /** Registers a SIGHUP listener (run mode: forced re-read). */
  onHangup?: (listener: () => void) => () => void;
}>;

/** One environment of the app. */
export type EnvironmentApp = Readonly<{
  name: string;
  controller: Controller;
  events: ControllerEvents;
  desired: DesiredStore;
  inventory: Inventory;
  /** This environment's metrics (labelled `environment="<name>"` on /metrics). */
  metrics: Metrics;
  rancher: RancherConnection;
  /** First full list and first manifest read done. */
  ready(): boolean;
  /** The `/status` source block (the git commit in use), undefined for apply on a folder. */
  sourceStatus(): SourceStatus | undefined;
  /**
   * How long a late-committed create may still appear: a create whose answer was lost can be committed
   * by Rancher after the client gave up (a proxy answering 504 while Rancher carries on). `apply` does not
   * end before this is 0; 0 when no create was in doubt.
   */
  lateCommitPendingMs(): number;
  /** Lists live state again and looks at every key (after the late-commit window: a twin shows up). */
  recheck(): Promise<void>;
}>;

/**
 * The app: its environments, and (for the usual case of one, and for `apply`, which runs one per
 * environment) the first environment's parts at the top level.
 */
export type App = EnvironmentApp & Readonly<{
  environments: readonly EnvironmentApp[];
  /** The event history of every environment (what `GET /events` serves). */
  journal: EventSource;
  /** Base URL of the status server (run mode, after start). */
  statusUrl(): string | undefined;
  start(): Promise<void>;
  /** Stops everything in reverse order; waits up to `config.shutdownGraceMs` for in-flight calls. Idempotent. */
  stop(): Promise<void>;
}>;

function environmentApp(parts: AppParts): EnvironmentApp {
  const { name, controller, events, desired, inventory, metrics, rancher, live, lateCommits } = parts;
  return {
    name, controller, events, desired, inventory, metrics, rancher,
    ready: () => parts.status.readiness().ready,
    sourceStatus: () => parts.source?.status(),
    lateCommitPendingMs: () => lateCommits.pendingMs(),
    recheck: async () => {
      await live.relist();
      controller.enqueueAll();
    },
  };
}

/** Builds every selected environment's parts; with several, log lines name their environment. */
async function wireEnvironments(config: Config, mode: AppMode, log: Logger, clock: Clock, shared: DaemonParts['shared'], metricsOf: Map<string, Metrics>): Promise<AppParts[]> {
  const named = listsEnvironments(config);
  const parts: AppParts[] = [];
  for (const { environment, config: narrowed } of selectedEnvironments(config)) {
    const metrics = createMetrics({ scope: 'environment' });
    labelEnvironment(metrics, environment.name);
    metricsOf.set(environment.name, metrics);
    const envLog = named ? log.child({ environment: environment.name }) : log;
    parts.push(await wireEnvironment(narrowed, mode, { name: environment.name, log: envLog, clock, metrics, shared }));
  }
  return parts;
}

/** Builds the app (shared-wiring.ts, wiring.ts) and its lifecycle (start-steps.ts, lifecycle.ts). */
export async function createApp(config: Config, mode: AppMode, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const metricsOf = new Map<string, Metrics>();
  const shared = wireShared(config, mode, { log, clock, eventMetrics: (name) => (name === undefined ? undefined : metricsOf.get(name)) });
  const lifecycle = new Lifecycle({ log });
  let environments: AppParts[] = [];
  try {
    environments = await wireEnvironments(config, mode, log, clock, shared, metricsOf);
  } catch (e: unknown) {
    // an environment that could not be built (its Rancher URL lookup failed) closes those built before it
    await Promise.all(environments.map((parts) => parts.rancher.close()));
    throw e;
  }
  const status = daemonStatus({ environments: environments.map(({ name, status: source }) => ({ name, status: source })), readyWhen: config.http.readyWhen, named: listsEnvironments(config) });
  const parts: DaemonParts = { config, mode, log, shared, environments, status, metrics: daemonMetrics(shared.metrics, [...metricsOf.values()]) };
  let server: StatusServer | undefined;
  const startDeps = { ...(deps.onHangup === undefined ? {} : { onHangup: deps.onHangup }), onServer: (s: StatusServer) => (server = s) };
  const apps = environments.map(environmentApp);
  const [first] = apps;
  if (first === undefined) throw new Error('no environment selected');
  return {
    ...first,
    environments: apps,
    journal: shared.journal,
    statusUrl: () => server?.url,
    start: () => lifecycle.start((l) => startApp(parts, l, startDeps)),
    stop: () => lifecycle.stop(),
  };
}
