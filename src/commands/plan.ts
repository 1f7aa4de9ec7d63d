/**
 * `rancher-reconciler plan`: reads the manifest tree and the live state once and prints what `apply`
 * would do, computed by the same code a reconcile pass runs, for the folder or for one commit of the git
 * source (`--git-url`, `--git-ref`: cloned into a temp dir). Read-only: no lock, no write to the state
 * dir. Exit 0: nothing to do; 2: changes; 1: an error, or anything blocked or refused (the same
 * condition under which `apply` exits 1), every reason on stderr. Transient API errors are retried
 * within the client's bound, then reported (exit 1). Logs go to stderr; stdout carries only the plan.
 * With the config file's environments: a section per environment (environment-runs.ts), or with
 * `-o json` one document `{ environments: [{ name, ...plan }] }` (`{ name, error }` for one that could
 * not be planned); the exit code is the worst of them.
 */
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { Inventory } from '../controller/inventory.js';
import { buildPlanReport, hasChanges, planProblems } from '../controller/plan-report.js';
import { renderPlanText } from '../controller/plan-text.js';
import { StaticLiveView } from '../controller/static-live-view.js';
import { formatIssue } from '../manifest/issues.js';
import { openRancher, type RancherConnection } from '../rancher-connection.js';
import { fatalApiCondition } from '../rancher/api-condition.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { readDesiredOnce, type DesiredOnce } from '../source/read-once.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';
import { commitLine } from './commit-line.js';
import { forEachEnvironment } from './environment-runs.js';
import { listsEnvironments } from '../config/environment-config.js';
import { createStateStore } from '../state/create-store.js';

export function planCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'plan', 'print what apply would do (exit 0 nothing to do, 2 changes, 1 error, blocked or refused)', 'stderr', async (config) => {
    const log = createLogger(config.log, ctx.stderr);
    const json = config.output === 'json';
    if (!listsEnvironments(config)) return planEnvironment(ctx, config, log, (document, text) => ctx.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : text));
    // with listed environments: a section each in text, one document `{ environments: [...] }` in JSON
    const documents: Readonly<Record<string, unknown> & { name: string }>[] = [];
    // an error after the plan was given (closing the connection) must not add a second entry
    const onError = ({ name }: { name: string }, error: string): void => {
      if (!documents.some((d) => d.name === name)) documents.push({ name, error });
    };
    await forEachEnvironment(ctx, config, log, { headerTo: json ? 'none' : 'stdout', onError }, async (run) => {
      const { name } = run.environment;
      await planEnvironment(run.ctx, run.config, run.log, (document, text) => (json ? documents.push({ name, ...document }) : run.ctx.stdout.write(text)), (error) => documents.push({ name, error }));
    });
    if (json) ctx.stdout.write(`${JSON.stringify({ environments: documents }, null, 2)}\n`);
  });
}

/**
 * The ownership records plan decides with, read-only: the state dir's inventory file, or the shared
 * state store's records of this environment (a read-only database user is enough), so a CI plan sees
 * what the daemon owns.
 */
async function loadRecords(config: Config, log: Logger, stateDir: string): Promise<Inventory> {
  const inventoryLog = log.child({ component: 'inventory' });
  if (config.stateStore.kind === 'file') {
    const inventory = new Inventory({ stateDir, clock: systemClock, log: inventoryLog });
    await inventory.load({ readOnly: true });
    return inventory;
  }
  const store = createStateStore(config.stateStore, { log, readOnly: true });
  try {
    await store.open();
    const name = config.environments[0]?.name ?? 'default';
    const inventory = new Inventory({ stateDir, clock: systemClock, log: inventoryLog, store: { state: store.environment(name, stateDir), description: store.description } });
    await inventory.load({ readOnly: true });
    return inventory;
  } finally {
    await store.close();
  }
}

/** Receives one environment's plan: the JSON document and the text, each complete. */
type PlanSink = (document: Readonly<Record<string, unknown>>, text: string) => void;

/**
 * Plans the environment of `config` and gives the result to `sink`; a condition retrying cannot fix
 * (bad keys, not the API, no such host) is said on stderr (and given to `onFatal`), exit 1.
 */
async function planEnvironment(ctx: CliContext, config: Config, log: Logger, sink: PlanSink, onFatal?: (message: string) => void): Promise<void> {
  const desired = await readDesiredOnce(config, log);
  const rancher = await openRancher(config, { log, readOnly: true });
  try {
    await writePlan(ctx, config, log, desired, rancher, sink);
  } catch (e: unknown) {
    // a condition retrying cannot fix (bad keys, not the API, no such host) is said plainly
    const fatal = fatalApiCondition(e);
    if (fatal === undefined) throw e;
    ctx.stderr.write(`error: ${fatal.message}\n`);
    onFatal?.(fatal.message);
    ctx.setExitCode(exitCodes.error);
  } finally {
    await rancher.close();
  }
}

async function writePlan(ctx: CliContext, config: Config, log: Logger, desired: DesiredOnce, rancher: RancherConnection, sink: PlanSink): Promise<void> {
  const { store, source } = desired;
  const inventory = await loadRecords(config, log, rancher.stateDir);
  const live = new StaticLiveView(await rancher.api.list(ctx.shutdown));
  const report = await buildPlanReport({
    desired: store, inventory, live, api: rancher.api, prune: config.reconcile.prune, maxDelete: config.reconcile.maxDelete, subset: config.subset, log, signal: ctx.shutdown,
  });
  const issues = desired.issues.map(formatIssue);
  const problems = planProblems(report);
  sink({ ...report, issues, problems, ...(source ? { source } : {}) }, `${renderPlanText(report)}${commitLine(source)}`);
  // an invalid tree is an error even when nothing would change: a CI gate on `plan` must not pass it
  for (const issue of issues) ctx.stderr.write(`${issue}\n`);
  for (const problem of problems) ctx.stderr.write(`error: ${problem}\n`);
  ctx.setExitCode(problems.length > 0 ? exitCodes.error : hasChanges(report) ? exitCodes.changes : exitCodes.ok);
}

