/**
 * `rancher-reconciler plan`: reads the manifest tree and the live state once and prints what `apply`
 * would do. Exit 0: no changes; 2: changes; 1: error (invalid options, API failure, 401/403).
 * Logs go to stderr; stdout carries only the plan (text, or one JSON document with `--output json`).
 */
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { Inventory } from '../controller/inventory.js';
import { buildPlanReport, hasChanges, renderPlanText } from '../controller/plan-report.js';
import { StaticLiveView } from '../controller/static-live-view.js';
import { loadTree } from '../manifest/load-tree.js';
import { DesiredStore } from '../manifest/store.js';
import { formatIssue } from '../manifest/issues.js';
import { openRancher } from '../rancher-connection.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';

export function planCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'plan', 'print what apply would do (exit 0 no changes, 2 changes, 1 error or invalid manifests)', 'stderr', async (config) => {
    const log = createLogger(config.log, ctx.stderr);
    const store = new DesiredStore();
    const snapshot = await loadTree(config.manifests.dir, { maxFileBytes: config.manifests.maxFileBytes });
    store.apply(snapshot);
    const rancher = await openRancher(config, { log });
    try {
      const inventory = new Inventory({ stateDir: rancher.stateDir, clock: systemClock, log: log.child({ component: 'inventory' }) });
      // plan never writes: a corrupt inventory is an error here, not something to move aside
      await inventory.load({ onCorrupt: 'throw' });
      const live = new StaticLiveView(await rancher.api.list(ctx.shutdown));
      const report = await buildPlanReport({ desired: store, inventory, live, api: rancher.api, prune: config.reconcile.prune, maxDelete: config.reconcile.maxDelete, signal: ctx.shutdown });
      const issues = snapshot.issues.map(formatIssue);
      ctx.stdout.write(config.output === 'json' ? `${JSON.stringify({ ...report, issues }, null, 2)}\n` : renderPlanText(report));
      // an invalid tree is an error even when nothing would change: a CI gate on `plan` must not pass it
      for (const issue of issues) ctx.stderr.write(`${issue}\n`);
      ctx.setExitCode(!report.complete ? exitCodes.error : hasChanges(report) ? exitCodes.changes : exitCodes.ok);
    } finally {
      await rancher.close();
    }
  });
}
