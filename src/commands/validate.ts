import { relative, resolve } from 'node:path';
import { Command } from 'commander';
import { coerceError } from '../errors.js';
import { formatIssue } from '../manifest/issues.js';
import { loadTree } from '../manifest/load-tree.js';
import { exitCodes, type CliContext } from './context.js';

/**
 * `rancher-reconciler validate [--manifests DIR]`: reads the manifest tree once and prints every issue
 * as `file:line:col: message` (file relative to the working directory) on stdout, then a summary line
 * `N files, M instances, K errors`. Exit 0 when valid, 1 when not; an unexpected failure prints one line
 * to stderr and exits 1, never a stack trace. It takes no other option.
 */
export function validateCommand(ctx: CliContext): Command {
  return new Command('validate')
    .description('parse and validate the manifests, print every problem as file:line:col: message')
    .option('--manifests <dir>', 'manifest directory', 'manifests')
    .action(async (options: { manifests: string }) => {
      try {
        const dir = resolve(ctx.cwd, options.manifests);
        const snapshot = await loadTree(dir);
        const shown = (file: string): string => (file === '.' ? relative(ctx.cwd, dir) || '.' : relative(ctx.cwd, resolve(dir, file)));
        for (const issue of snapshot.issues) ctx.stdout.write(`${formatIssue({ ...issue, file: shown(issue.file) })}\n`);
        const files = [...snapshot.files.keys()].filter((file) => file !== '.').length;
        const instances = [...snapshot.files.values()].reduce((sum, result) => sum + result.instances.length, 0);
        ctx.stdout.write(`${files} files, ${instances} instances, ${snapshot.issues.length} errors\n`);
        ctx.setExitCode(snapshot.issues.length === 0 ? exitCodes.ok : exitCodes.error);
      } catch (raw: unknown) {
        ctx.stderr.write(`validate: ${coerceError(raw).message}\n`);
        ctx.setExitCode(exitCodes.error);
      }
    });
}
