/**
 * `rancher-reconciler apply`: converges once and exits. Exit 0 when every instance is in sync; 1 on an
 * error, a blocked or failed instance, an authentication failure (at once) or `--timeout`.
 */
import { Command } from 'commander';
import { loadConfig, optionsHelp } from '../config.js';
import { createLogger } from '../logger.js';
import { createApp, type App } from '../app.js';
import { countDone, createApplyProgress, renderApplyTable } from './apply-output.js';
import { exitCodes, type CliContext } from './context.js';

type Ending = 'settled' | 'timeout' | 'unauthorized' | 'interrupted';

/** Resolves when the controller settles, credentials are refused, the timeout passes or a signal arrives. */
function waitForEnding(app: App, timeoutMs: number, shutdown: AbortSignal): { ending: Promise<Ending>; dispose(): void } {
  const disposers: (() => void)[] = [];
  const ending = new Promise<Ending>((resolve) => {
    disposers.push(app.events.on('controller:settled', () => resolve('settled')));
    disposers.push(app.events.on('reconcile:finished', () => {
      if (app.controller.authFailure !== undefined) resolve('unauthorized');
    }));
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    disposers.push(() => clearTimeout(timer));
    const onAbort = (): void => resolve('interrupted');
    shutdown.addEventListener('abort', onAbort, { once: true });
    disposers.push(() => shutdown.removeEventListener('abort', onAbort));
  });
  return { ending, dispose: () => disposers.forEach((d) => d()) };
}

export function applyCommand(ctx: CliContext): Command {
  return new Command('apply')
    .description('converge once, then exit (0 converged, 1 error or --timeout)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help')
    .addHelpText('after', optionsHelp('apply'))
    .action(async (_options: unknown, command: Command) => {
      const config = loadConfig({ command: 'apply', argv: command.args, env: ctx.env, cwd: ctx.cwd, isTTY: ctx.stderr.isTTY === true });
      const log = createLogger(config.log, ctx.stderr);
      const app = await createApp(config, 'apply', { log });
      const waiting = waitForEnding(app, config.reconcile.timeoutMs, ctx.shutdown);
      let progress: ReturnType<typeof createApplyProgress> | undefined;
      const off = app.events.on('reconcile:finished', (event) => {
        progress ??= createApplyProgress(ctx.stderr, ctx.stdout, app.controller.statusBook.size);
        progress.onPass(event, countDone(app.controller.statusBook.list()));
      });
      let ending: Ending;
      try {
        await app.start();
        ending = await waiting.ending;
      } finally {
        waiting.dispose();
        off();
        progress?.stop();
      }
      const document = app.controller.status(app.ready());
      await app.stop();
      ctx.stdout.write(renderApplyTable(document.instances, document.summary));
      const converged = ending === 'settled' && document.summary['in-sync'] === document.summary.total;
      if (ending === 'unauthorized') ctx.stderr.write(`error: ${app.controller.authFailure?.message ?? 'unauthorized'}: check the access and secret keys\n`);
      else if (ending === 'timeout') ctx.stderr.write(`error: not converged within ${Math.round(config.reconcile.timeoutMs / 1000)}s (--timeout)\n`);
      else if (ending === 'interrupted') ctx.stderr.write('error: interrupted before converging\n');
      else if (!converged) ctx.stderr.write('error: some instances are blocked or failed (see the table)\n');
      ctx.setExitCode(converged ? exitCodes.ok : exitCodes.error);
    });
}
