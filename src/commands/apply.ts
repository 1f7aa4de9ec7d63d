/**
 * `rancher-reconciler apply`: converges once and exits. Exit 0 when every instance is in sync; 1 on an
 * error, a blocked or failed instance, an authentication failure (at once) or `--timeout`.
 */
import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { createApp, type App } from '../app.js';
import { countDone, createApplyProgress, renderApplyTable } from './apply-output.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';

type Ending = 'settled' | 'timeout' | 'unauthorized' | 'interrupted';

/** Resolves when the controller settles, credentials are refused, the timeout passes or a signal arrives. */
function waitForEnding(app: App, timeoutMs: number, shutdown: AbortSignal): { ending: Promise<Ending>; dispose(): void; authError(): Error | undefined } {
  const disposers: (() => void)[] = [];
  let authError: Error | undefined;
  const ending = new Promise<Ending>((resolve) => {
    disposers.push(app.events.on('controller:settled', () => resolve('settled')));
    disposers.push(app.events.on('api:unauthorized', ({ error }) => {
      authError = error;
      resolve('unauthorized');
    }));
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    disposers.push(() => clearTimeout(timer));
    const onAbort = (): void => resolve('interrupted');
    shutdown.addEventListener('abort', onAbort, { once: true });
    disposers.push(() => shutdown.removeEventListener('abort', onAbort));
  });
  return { ending, dispose: () => disposers.forEach((d) => d()), authError: () => authError };
}

export function applyCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'apply', 'converge once, then exit (0 converged, 1 error or --timeout)', 'stderr', async (config) => {
    const log = createLogger(config.log, ctx.stderr);
    const app = await createApp(config, 'apply', { log });
    const waiting = waitForEnding(app, config.reconcile.timeoutMs, ctx.shutdown);
    let progress: ReturnType<typeof createApplyProgress> | undefined;
    const off = app.events.on('reconcile:finished', (event) => {
      progress ??= createApplyProgress(ctx.stderr, ctx.stdout, app.controller.managedKeys().size);
      progress.onPass(event, countDone(app.controller.statusBook.summary()));
    });
    let ending: Ending;
    try {
      // Start can wait for Rancher forever (an unreachable server is retried): the timeout, a 401/403 or a
      // signal ends it as well.
      const started = app.start().then(() => waiting.ending);
      ending = await Promise.race([started, waiting.ending]);
    } catch (e: unknown) {
      await app.stop();
      throw e;
    } finally {
      waiting.dispose();
      off();
      progress?.stop();
    }
    const document = app.controller.status(app.ready());
    await app.stop();
    ctx.stdout.write(renderApplyTable(document.instances, document.summary));
    const converged = ending === 'settled' && document.summary['in-sync'] === document.summary.total;
    if (ending === 'unauthorized') ctx.stderr.write(`error: ${waiting.authError()?.message ?? 'unauthorized'}: authentication failed, check the access and secret keys (and the project in the URL)\n`);
    else if (ending === 'timeout') ctx.stderr.write(`error: not converged within ${Math.round(config.reconcile.timeoutMs / 1000)}s (--timeout)\n`);
    else if (ending === 'interrupted') ctx.stderr.write('error: interrupted before converging\n');
    else if (!converged) ctx.stderr.write('error: some instances are blocked or failed (see the table)\n');
    ctx.setExitCode(converged ? exitCodes.ok : exitCodes.error);
  });
}
