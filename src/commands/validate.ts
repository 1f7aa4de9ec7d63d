import { Command, Option } from 'commander';
import { coerceError } from '../errors.js';
import { addExcludeValue } from '../manifest/ignore-rules.js';
import { displayPath } from '../manifest/issues.js';
import { exitCodes, type CliContext } from './context.js';
import { renderValidateText, validateTargets } from './validate-report.js';

/**
 * `rancher-reconciler validate [--manifests DIR] [--exclude GLOB]...`: reads the manifest tree once and prints every issue
 * as `file:line:col: message` (file relative to the working directory, absolute outside it) on stdout, then a summary line
 * `N files, M instances, K errors`. Exit 0 when valid, 1 when not; an unexpected failure prints one line
 * to stderr and exits 1, never a stack trace. `--exclude` (repeatable) is the daemon's option of that name.
 * `validate [FILE|DIR]...` checks those instead of `--manifests` (both: all of them; each on its own, see
 * `validateTargets`); `-o json` prints one JSON document (`ValidateReport`) instead, with the same exit codes.
 */
export function validateCommand(ctx: CliContext): Command {
  return new Command('validate')
    .description('parse and validate the manifests, print every problem as file:line:col: message')
    .argument('[paths...]', 'manifest files or folders to check instead of --manifests')
    .option('-m, --manifests <dir>', 'manifest directory', 'manifests')
    .option('--exclude <glob>', 'leave out paths matching this gitignore-style pattern; repeatable or a comma list', addExcludeValue, [])
    .addOption(new Option('-o, --output <format>', 'text, or json (one JSON document)').choices(['text', 'json']).default('text'))
    .action(async (paths: string[], options: { manifests: string; exclude: string[]; output: 'text' | 'json' }, command: Command) => {
      try {
        const explicit = command.getOptionValueSource('manifests') === 'cli';
        const targets = paths.length === 0 ? [options.manifests] : explicit ? [options.manifests, ...paths] : paths;
        const shown = (root: string, file: string): string => displayPath(ctx.cwd, root, file);
        const report = await validateTargets(targets, { cwd: ctx.cwd, show: shown, tree: { exclude: options.exclude } });
        ctx.stdout.write(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderValidateText(report));
        ctx.setExitCode(report.valid ? exitCodes.ok : exitCodes.error);
      } catch (raw: unknown) {
        ctx.stderr.write(`validate: ${coerceError(raw).message}\n`);
        ctx.setExitCode(exitCodes.error);
      }
    });
}
