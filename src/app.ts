/**
 * The composition root: the only place that builds the long-lived services (app/wiring.ts: what is built
 * from what) and runs them (app/start-steps.ts: start order; lifecycle.ts: LIFO stop and drain).
 * `run` mode follows the manifest source (a folder or a git repository) and serves status, metrics,
 * health and webhooks; `apply` mode reads the manifests once and stops when the controller has settled (see commands/apply.ts).
 */
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Controller } from './controller/controller.js';
import type { ControllerEvents } from './controller/events.js';
import type { Inventory } from './controller/inventory.js';
import type { StatusServer } from './http/status-server.js';
import type { SourceStatus } from './domain/status.js';
import type { DesiredStore } from './manifest/store.js';
import type { EventSource } from './observability/event-model.js';
import type { Metrics } from './observability/metrics.js';
import type { RancherConnection } from './rancher-connection.js';
import { Lifecycle } from './lifecycle.js';
import { startApp } from './app/start-steps.js';
import { wireApp, type AppMode } from './app/wiring.js';

export type { AppMode } from './app/wiring.js';

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
  /** The event history (what `GET /events` serves). */
  journal: EventSource;
  /** Base URL of the status server (run mode, after start). */
  statusUrl(): string | undefined;
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
  start(): Promise<void>;
  /** Stops everything in reverse order; waits up to `config.shutdownGraceMs` for in-flight calls. Idempotent. */
  stop(): Promise<void>;
}>;

/** Builds the app (wiring.ts) and its lifecycle (start-steps.ts, lifecycle.ts). */
export async function createApp(config: Config, mode: AppMode, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const parts = await wireApp(config, mode, { log: deps.log, clock });
  const lifecycle = new Lifecycle({ log: deps.log });
  let server: StatusServer | undefined;
  const startDeps = { ...(deps.onHangup === undefined ? {} : { onHangup: deps.onHangup }), onServer: (s: StatusServer) => (server = s) };
  const { controller, events, desired, inventory, metrics, rancher, live, lateCommits, journal } = parts;
  return {
    controller, events, desired, inventory, metrics, rancher, journal,
    statusUrl: () => server?.url,
    ready: () => parts.status.readiness().ready,
    sourceStatus: () => parts.source?.status(),
    lateCommitPendingMs: () => lateCommits.pendingMs(),
    recheck: async () => {
      await live.relist();
      controller.enqueueAll();
    },
    start: () => lifecycle.start((l) => startApp(parts, l, startDeps)),
    stop: () => lifecycle.stop(),
  };
}
