/**
 * The start order of one environment's app, each step registering its undo with the Lifecycle before
 * it runs (so stop() undoes exactly what was started, in reverse): state lock, inventory, notifier, status server
 * (run), live cache and its first list, controller (stopped with a drain), manifests (the source in run
 * mode and for a git repository; a folder read once in apply mode), then the controller's loop.
 */
import type { Lifecycle } from '../lifecycle.js';
import { StateLock } from '../controller/state-lock.js';
import { startStatusServer, type StatusServer } from '../http/status-server.js';
import { createWebhookReceiver } from '../http/webhooks/receiver.js';
import { loadTree } from '../manifest/load-tree.js';
import type { AppParts } from './wiring.js';

type StartDeps = Readonly<{ onHangup?: (listener: () => void) => () => void; onServer: (server: StatusServer) => void }>;

async function openState(parts: AppParts, lifecycle: Lifecycle): Promise<void> {
  const { rancher, clock, log, inventory } = parts;
  lifecycle.onStop(() => rancher.close());
  // one writer per state dir; released before rancher.close() (which closes the embedded emulator)
  const lock = new StateLock({ stateDir: rancher.stateDir, clock, log: log.child({ component: 'state-lock' }) });
  await lock.acquire();
  lifecycle.onStop(() => lock.release(), () => inventory.stop());
  const loaded = await inventory.load({ onCorrupt: 'quarantine' });
  log.info({ entries: loaded.entries, stateDir: rancher.stateDir, ...(loaded.quarantined ? { quarantined: loaded.quarantined } : {}) }, 'inventory loaded');
  // a daemon suspended before a restart starts suspended: no pass may act before this is known
  await parts.suspension?.load();
  lifecycle.stillStarting();
}

/**
 * Subscribes the notifier (when configured) to the event history before the source, the live cache and
 * the controller, which record the events.
 * Started early so that it stops late (LIFO): the last events of a shutdown still go out, within the
 * notifier's own short grace.
 */
function startNotifier(parts: AppParts, lifecycle: Lifecycle): void {
  const { notifier, journal } = parts;
  if (notifier === undefined) return;
  lifecycle.onStop(() => notifier.stop());
  notifier.start(journal);
}

async function serveStatus(parts: AppParts, lifecycle: Lifecycle, onServer: (server: StatusServer) => void): Promise<void> {
  const { config, log, metrics, status } = parts;
  let server: StatusServer | undefined;
  lifecycle.onStop(() => server?.close());
  const { host, port, reconcileToken, controlToken, uiToken } = config.http;
  const control = parts.suspension === undefined ? {} : { control: parts.suspension, ...(controlToken === undefined ? {} : { controlToken }) };
  // the receivers exist only for the git source: a push makes it look now
  const webhooks = parts.git === undefined ? undefined : createWebhookReceiver({ secrets: config.webhooks, target: parts.git, log, metrics: metrics.source });
  server = await startStatusServer({ host, port, log, metrics, source: status, events: parts.journal, ...(reconcileToken === undefined ? {} : { reconcileToken }), ...(uiToken === undefined ? {} : { uiToken }), ...(webhooks === undefined ? {} : { webhooks }), ...control });
  onServer(server);
  log.info({ status: `${server.url}/status`, metrics: `${server.url}/metrics`, health: `${server.url}/healthz` }, 'status and metrics served');
  lifecycle.stillStarting();
}

async function readManifests(parts: AppParts, lifecycle: Lifecycle, onHangup: StartDeps['onHangup']): Promise<void> {
  const { source, controller, config, desired } = parts;
  if (source !== undefined) {
    source.onSnapshot((event) => {
      parts.noteSnapshot(event.complete);
      controller.onSnapshot(event);
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
  const snapshot = await loadTree(config.manifests.dir, { maxFileBytes: config.manifests.maxFileBytes, exclude: config.manifests.exclude });
  lifecycle.stillStarting();
  const changed = desired.apply(snapshot);
  parts.noteSnapshot(snapshot.complete);
  controller.onSnapshot({ revision: snapshot.revision, changed, issues: snapshot.issues });
}

/** Starts `parts` in order; every step can be undone by `lifecycle.stop()`. */
export async function startApp(parts: AppParts, lifecycle: Lifecycle, deps: StartDeps): Promise<void> {
  const { live, controller, config, inventory } = parts;
  await openState(parts, lifecycle);
  startNotifier(parts, lifecycle);
  if (parts.mode === 'run') await serveStatus(parts, lifecycle, deps.onServer);
  lifecycle.onStop(() => live.stop());
  live.start();
  await live.waitReady(lifecycle.signal);
  lifecycle.stillStarting();
  lifecycle.onStop(async () => {
    await controller.stop(config.shutdownGraceMs);
    await inventory.flush();
  });
  await readManifests(parts, lifecycle, deps.onHangup);
  controller.start();
}
