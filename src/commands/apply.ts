/**
 * `rancher-reconciler apply`: converges once and exits. Exit 0 when every instance is in sync (or
 * suspended by its manifest, `spec.suspend`, which is left alone and reported); 1 on an
 * error, a blocked or failed instance, `--timeout`, or at once when retrying cannot help: rejected
 * credentials, a URL that is not the API, a host that does not resolve (rancher/api-condition.ts).
 * With the config file's environments: each converged in turn, in its own section (environment-runs.ts);
 * exit 1 when any of them did not converge.
 */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { createApp, type App } from '../app.js';
import { assertNever } from '../errors.js';
import { fatalApiCondition } from '../rancher/api-condition.js';
import { createApplyProgress, renderApplyTable } from './apply-output.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';
import { StatusLine } from './status-line.js';
import { commitLine } from './commit-line.js';
import { subsetLine } from '../controller/subset.js';
import { forEachEnvironment } from './environment-runs.js';

type Ending = 'settled' | 'timeout' | 'unauthorized' | 'hopeless' | 'interrupted';

type Waiting = Readonly<{
  ending: Promise<Ending>;
  dispose(): void;
  authError(): Error | undefined;
  /** The current API problem (`Rancher unreachable: ...`), undefined while the API answers. */
  apiProblem(): string | undefined;
  /** Why retrying cannot help, once the ending is `hopeless`. */
  fatalProblem(): string | undefined;
}>;

/**
 * Resolves when the controller settles, credentials are refused, the API fails in a way no retry can
 * fix, the timeout passes or a signal arrives.
 */
function waitForEnding(app: App, timeoutMs: number, shutdown: AbortSignal): Waiting {
  const disposers: (() => void)[] = [];
  let authError: Error | undefined;
  let apiProblem: string | undefined;
  let fatalProblem: string | undefined;
  const ending = new Promise<Ending>((resolve) => {
    let recheckTimer: NodeJS.Timeout | undefined;
    disposers.push(() => clearTimeout(recheckTimer));
    disposers.push(app.events.on('controller:settled', () => {
      // a create whose answer was lost may still be committed late: look again once that window is over
      // (a twin then shows up, carrying our labels, and is removed) before calling the run converged
      const pendingMs = app.lateCommitPendingMs();
      if (pendingMs === 0) return resolve('settled');
      clearTimeout(recheckTimer);
      recheckTimer = setTimeout(() => void app.recheck(), pendingMs);
    }));
    disposers.push(app.events.on('api:unauthorized', ({ error }) => {
      authError = error;
      resolve('unauthorized');
    }));
    disposers.push(app.events.on('api:condition', ({ api, error }) => {
      apiProblem = api.condition === 'ok' ? undefined : api.message;
      // 401/403 end through api:unauthorized above, with their own advice
      const fatal = fatalApiCondition(error);
      if (fatal !== undefined && fatal.condition !== 'unauthorized') {
        fatalProblem ??= fatal.message;
        resolve('hopeless');
      }
    }));
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    disposers.push(() => clearTimeout(timer));
    const onAbort = (): void => resolve('interrupted');
    shutdown.addEventListener('abort', onAbort, { once: true });
    disposers.push(() => shutdown.removeEventListener('abort', onAbort));
  });
  return { ending, dispose: () => disposers.forEach((d) => d()), authError: () => authError, apiProblem: () => apiProblem, fatalProblem: () => fatalProblem };
}

/** The `error: ...` line of an apply that did not converge. */
function failureLine(ending: Ending, waiting: Waiting, timeoutMs: number): string {
  switch (ending) {
    case 'unauthorized':
      return `${waiting.authError()?.message ?? 'unauthorized'}: authentication failed, check the access and secret keys (and the project in the URL)`;
    case 'hopeless':
      return waiting.fatalProblem() ?? 'the Rancher API cannot be used';
    case 'timeout': {
      // name the cause when Rancher is the reason (connection refused, 5xx): "not converged" alone says nothing
      const problem = waiting.apiProblem();
      return `not converged within ${Math.round(timeoutMs / 1000)}s (--timeout)${problem === undefined ? '' : `: ${problem}`}`;
    }
    case 'interrupted':
      return 'interrupted before converging';
    case 'settled':
      return 'some instances are blocked or failed (see the table)';
    default:
      return assertNever(ending, 'apply ending');
  }
}

export function applyCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'apply', 'converge once, then exit (0 converged, 1 error or --timeout)', 'stderr', async (config) => {
    // on a terminal the bar and the logs share stderr: the logs go through the status line, around the bar
    const terminal = ctx.stderr.isTTY === true ? new StatusLine(ctx.stderr) : undefined;
    const log = createLogger(config.log, terminal ?? ctx.stderr);
    await forEachEnvironment(ctx, config, log, { headerTo: 'stdout' }, (run) => applyEnvironment(run.ctx, run.config, run.log, terminal));
  });
}

/** Converges the environment of `config` once: progress while it works, then the table and the exit code. */
async function applyEnvironment(ctx: CliContext, config: Config, log: Logger, terminal: StatusLine | undefined): Promise<void> {
  const app = await createApp(config, 'apply', { log });
  const waiting = waitForEnding(app, config.reconcile.timeoutMs, ctx.shutdown);
  let progress: ReturnType<typeof createApplyProgress> | undefined;
  const off = app.events.on('reconcile:finished', (event) => {
    progress ??= createApplyProgress(terminal, ctx.stdout, app.controller.managedKeys(), app.controller.statusBook);
    progress.onPass(event);
  });
  let ending: Ending;
  try {
    // Start can wait for Rancher forever (an unreachable server is retried): the timeout, a 401/403, a
    // hopeless API failure or a signal ends it as well.
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
  const subset = app.controller.subsetSummary();
  await app.stop();
  ctx.stdout.write(renderApplyTable(document.instances, document.summary));
  ctx.stdout.write(subsetLine(subset, 'applied'));
  if (document.revision !== null) ctx.stdout.write(`Revision ${document.revision}\n${commitLine(app.sourceStatus())}`);
  // an instance suspended by its manifest is left alone on purpose: it does not fail the run
  const converged = ending === 'settled' && document.summary['in-sync'] + document.summary.suspended === document.summary.total;
  const failure = converged ? undefined : failureLine(ending, waiting, config.reconcile.timeoutMs);
  if (failure !== undefined) ctx.stderr.write(`error: ${failure}\n`);
  ctx.setExitCode(converged ? exitCodes.ok : exitCodes.error);
}
