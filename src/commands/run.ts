/**
 * `rancher-reconciler run`: the daemon. Watches the manifests, keeps the live cache current, reconciles
 * forever and serves /healthz, /readyz, /metrics, /status and POST /reconcile on `--listen`. The first
 * SIGTERM/SIGINT stops intake, drains within the grace period, flushes the inventory and exits 0.
 */
import type { Command } from 'commander';
import { coerceError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createApp, type App } from '../app.js';
import type { Config } from '../config.js';
import { listsEnvironments } from '../config/environment-config.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';

/** Where the one environment reads and writes, or the names of the config file's environments. */
function runningFields(config: Config, app: App): Record<string, string | boolean> {
  if (listsEnvironments(config)) return { environments: app.environments.map((environment) => environment.name).join(',') };
  return { manifests: config.manifests.dir, rancher: app.rancher.url, embedded: app.rancher.embedded };
}

export function runCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'run', 'the daemon: watch manifests, reconcile forever, serve status, metrics and health', 'stdout', async (config) => {
    const log = createLogger(config.log, ctx.stdout);
    const app = await createApp(config, 'run', { log, onHangup: ctx.onHangup });
    const stopped = new Promise<void>((resolve) => {
      if (ctx.shutdown.aborted) resolve();
      ctx.shutdown.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      await Promise.race([app.start(), stopped]);
      if (!ctx.shutdown.aborted) log.info(runningFields(config, app), 'reconciler running');
      await stopped;
      log.info('shutting down');
    } catch (e: unknown) {
      log.fatal({ err: coerceError(e) }, 'reconciler failed');
      await app.stop();
      throw e;
    }
    await app.stop();
    log.info('stopped');
    ctx.setExitCode(exitCodes.ok);
  });
}
