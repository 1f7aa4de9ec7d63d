/**
 * The start order of the daemon's app, each step registering its undo with the Lifecycle before it
 * runs (so stop() undoes exactly what was started, in reverse): the suspension, the notifier, the status
 * server (run), then every environment at once, each in its own order: state lock, inventory, live
 * cache, controller (stopped with a drain), then the first list of live state and the manifests (the
 * source in run mode and for a git repository; a folder read once in apply mode) side by side, then the
 * controller's loop. Environments start
 * side by side: one whose Rancher refuses the keys or cannot be reached waits alone.
 */
import type { Lifecycle } from '../lifecycle.js';
import { StateLock } from '../controller/state-lock.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { sleep } from '../clock.js';
import { coerceError, isRetryable, ReconcilerError } from '../errors.js';
import { startStatusServer, type StatusServer } from '../http/status-server.js';
import { createWebhookReceiver } from '../http/webhooks/receiver.js';
import { loadLayers } from '../manifest/layers.js';
import type { StatusSource } from '../domain/status.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { GitSource } from '../source/git-source.js';
import type { WebhookTarget } from '../source/source.js';
import type { AppMode, AppParts } from './wiring.js';
import type { MetricsView } from './daemon-metrics.js';
import type { SharedParts } from './shared-wiring.js';

/** The whole daemon: what it shares and its environments. */
export type DaemonParts = Readonly<{
  config: Config;
  mode: AppMode;
  log: Logger;
  shared: SharedParts;
  environments: readonly AppParts[];
  status: StatusSource;
  metrics: MetricsView;
}>;

const storeOpenBackoff: BackoffOptions = Object.freeze({ baseMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.2 });

type StartDeps = Readonly<{ onHangup?: (listener: () => void) => () => void; onServer: (server: StatusServer) => void }>;

async function openState(parts: AppParts, lifecycle: Lifecycle): Promise<void> {
  const { rancher, clock, log, inventory, leadership } = parts;
  lifecycle.onStop(() => rancher.close());
  if (leadership.elects) {
    // a shared store: the leader's lease is the one-writer rule; a standby reads the records for its plans
    lifecycle.onStop(() => inventory.stop());
  } else {
    // one writer per state dir; released before rancher.close() (which closes the embedded emulator)
    const lock = new StateLock({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'state-lock' }) });
    await lock.acquire();
    lifecycle.onStop(() => lock.release(), () => inventory.stop());
  }
  const loaded = await inventory.load({ onCorrupt: 'quarantine' });
  log.info({ entries: loaded.entries, stateDir: rancher.stateDir, store: inventory.path, ...(loaded.quarantined ? { quarantined: loaded.quarantined } : {}) }, 'inventory loaded');
  lifecycle.stillStarting();
}

/**
 * Campaigns for the environment (a shared store). A takeover reads the records and lists live state
 * again before it acts. `apply` acts only if it leads at once: a daemon leading the environment is
 * not waited for.
 */
async function campaign(parts: AppParts, lifecycle: Lifecycle, looping: () => boolean): Promise<void> {
  const { leadership, inventory, live, controller, name, mode } = parts;
  if (!leadership.elects) return;
  // stop order (LIFO): nothing new is sent, the controller drains, the records flush, then the lease goes
  lifecycle.onStop(() => leadership.stop());
  leadership.start({
    reload: async () => {
      await Promise.all([inventory.load(), live.relist()]);
    },
    // before the loop starts nothing is enqueued: the loop's start looks at every key itself
    enqueueAll: () => (looping() ? controller.enqueueAll() : undefined),
    refresh: async () => {
      await inventory.load();
    },
  });
  if (mode === 'apply' && !(await leadership.firstTerm())) {
    throw new ReconcilerError('ERR_STATE_LOCKED', `environment ${name} is led by replica ${leadership.leader() ?? '(unknown)'}: stop it, or let it apply the manifests`);
  }
}

/**
 * Subscribes the notifier (when configured) to the event history before the environments record events.
 * Started early so that it stops late (LIFO): the last events of a shutdown still go out, within the
 * notifier's own short grace.
 */
function startNotifier(shared: SharedParts, lifecycle: Lifecycle): void {
  const { notifier, journal } = shared;
  if (notifier === undefined) return;
  lifecycle.onStop(() => notifier.stop());
  notifier.start(journal);
}

/** Every environment's git source behind one receiver: they follow the same repository and ref, a push triggers them all. */
function webhookTarget(sources: readonly GitSource[]): WebhookTarget | undefined {
  const [first] = sources;
  if (first === undefined) return undefined;
  return { url: first.url, watchedRef: () => first.watchedRef(), trigger: () => sources.forEach((source) => source.trigger()) };
}

async function serveStatus(parts: DaemonParts, lifecycle: Lifecycle, onServer: (server: StatusServer) => void): Promise<void> {
  const { config, log, shared, status } = parts;
  let server: StatusServer | undefined;
  lifecycle.onStop(() => server?.close());
  const { host, port, reconcileToken, controlToken, uiToken } = config.http;
  const control = shared.suspension === undefined ? {} : { control: shared.suspension, ...(controlToken === undefined ? {} : { controlToken }) };
  // the receivers exist only for the git source: a push makes it look now
  const target = webhookTarget(parts.environments.flatMap((environment) => (environment.git === undefined ? [] : [environment.git])));
  const webhooks = target === undefined ? undefined : createWebhookReceiver({ secrets: config.webhooks, target, log, metrics: shared.metrics.source });
  server = await startStatusServer({
    host, port, log, metrics: parts.metrics, source: status, events: shared.journal,
    ...(reconcileToken === undefined ? {} : { reconcileToken }), ...(uiToken === undefined ? {} : { uiToken }), ...(webhooks === undefined ? {} : { webhooks }), ...control,
  });
  onServer(server);
  log.info({ status: `${server.url}/status`, metrics: `${server.url}/metrics`, health: `${server.url}/healthz` }, 'status and metrics served');
  lifecycle.stillStarting();
}

/** What a snapshot event carries to the controller. */
type SnapshotDelivery = (event: Parameters<AppParts['controller']['onSnapshot']>[0]) => void;

async function readManifests(parts: AppParts, lifecycle: Lifecycle, onHangup: StartDeps['onHangup'], deliver: SnapshotDelivery): Promise<void> {
  const { source, config, desired } = parts;
  if (source !== undefined) {
    source.onSnapshot((event) => {
      parts.noteSnapshot(event.complete);
      deliver(event);
    });
    lifecycle.onStop(() => source.stop());
    await source.start();
    lifecycle.stillStarting();
    // apply has nothing to converge to when the one poll of the repository failed: say why and stop
    const gitError = parts.git?.revision === undefined ? parts.git?.lastError : undefined;
    if (parts.mode === 'apply' && gitError !== undefined) throw gitError;
    const off = onHangup?.(() => void source.reload('signal'));
    if (off) lifecycle.onStop(off);
    return;
  }
  const { dir, overlays, maxFileBytes, exclude } = config.manifests;
  const snapshot = await loadLayers([dir, ...overlays], { maxFileBytes, exclude });
  lifecycle.stillStarting();
  const changed = desired.apply(snapshot);
  parts.noteSnapshot(snapshot.complete);
  deliver({ revision: snapshot.revision, changed, issues: snapshot.issues });
}

/**
 * Holds the controller's snapshots until live state is listed: the tree is read while the first list
 * runs (both take seconds with 10,000 instances), but the controller decides removals from both, so it
 * takes a snapshot only once it can see what is live.
 */
function snapshotGate(controller: AppParts['controller']): { deliver: SnapshotDelivery; open(): void } {
  let opened = false;
  const held: Parameters<SnapshotDelivery>[0][] = [];
  return {
    deliver: (event) => (opened ? controller.onSnapshot(event) : void held.push(event)),
    open() {
      opened = true;
      for (const event of held.splice(0)) controller.onSnapshot(event);
    },
  };
}

/** One environment, in order; its waits (a Rancher that does not answer) hold this environment only. */
async function startEnvironment(parts: AppParts, lifecycle: Lifecycle, deps: StartDeps): Promise<void> {
  const { live, controller, config, inventory, leadership } = parts;
  await openState(parts, lifecycle);
  lifecycle.onStop(() => live.stop());
  live.start();
  let looping = false;
  await campaign(parts, lifecycle, () => looping);
  lifecycle.onStop(async () => {
    leadership.quiesce();
    await controller.stop(config.shutdownGraceMs);
    await inventory.flush();
  });
  const gate = snapshotGate(controller);
  // the first list and the first read of the manifests run side by side; the loop starts after both
  await Promise.all([live.waitReady(lifecycle.signal), readManifests(parts, lifecycle, deps.onHangup, gate.deliver)]);
  lifecycle.stillStarting();
  gate.open();
  controller.start();
  looping = true;
}

/**
 * Connects the shared state store (creating or migrating its schema); closed after every environment
 * stopped. `run` waits for a store that cannot be reached (1 s doubling to 30 s), as it waits for
 * Rancher; `apply` gives up at the first failure, and a refused login or schema never retries.
 */
async function openStore(parts: DaemonParts, lifecycle: Lifecycle): Promise<void> {
  const { store } = parts.shared;
  if (store === undefined) return;
  lifecycle.onStop(() => store.close());
  const log = parts.log.child({ component: 'state-store' });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await store.open();
      break;
    } catch (e: unknown) {
      const error = coerceError(e);
      if (parts.mode !== 'run' || !isRetryable(error)) throw error;
      const retryInMs = backoffDelay(attempt, storeOpenBackoff);
      log[attempt === 0 ? 'warn' : 'debug']({ err: error, store: store.description, attempt: attempt + 1, retryInMs }, 'state store not reachable, retrying');
      await sleep(parts.shared.clock, retryInMs, lifecycle.signal);
    }
  }
  log.info({ store: store.description, replica: parts.config.replica.id }, 'state store opened');
  lifecycle.stillStarting();
  const { spreader } = parts.shared;
  if (spreader === undefined) return;
  // stops after the environments released their leases (LIFO), then leaves the members
  lifecycle.onStop(() => spreader.stop());
  spreader.start();
}

/** Starts `parts` in order; every step can be undone by `lifecycle.stop()`. */
export async function startApp(parts: DaemonParts, lifecycle: Lifecycle, deps: StartDeps): Promise<void> {
  // a daemon suspended before a restart starts suspended: no pass may act before this is known
  await parts.shared.suspension?.load();
  lifecycle.stillStarting();
  startNotifier(parts.shared, lifecycle);
  if (parts.mode === 'run') await serveStatus(parts, lifecycle, deps.onServer);
  await openStore(parts, lifecycle);
  await Promise.all(parts.environments.map((environment) => startEnvironment(environment, lifecycle, deps)));
}
