/**
 * The shape shared by `run`, `apply` and `plan`: commander only handles `--help`; every other argument
 * goes to `loadConfig`, which reports all problems at once (unknown options included).
 */
import { Command } from 'commander';
import { loadConfig, optionsHelp, type Config, type ConfigCommand } from '../config.js';
import type { CliContext } from './context.js';

/**
 * Builds the command `name`. `logsTo` names the stream the command logs to, whose terminal-ness picks
 * the default log format. `handler` receives the validated, frozen Config.
 */
export function reconcilerCommand(
  ctx: CliContext,
  name: ConfigCommand,
  description: string,
  logsTo: 'stdout' | 'stderr',
  handler: (config: Config) => Promise<void>,
): Command {
  return new Command(name)
    .description(description)
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help')
    .addHelpText('after', optionsHelp(name))
    .action(async (_options: unknown, command: Command) => {
      const config = loadConfig({ command: name, argv: command.args, env: ctx.env, cwd: ctx.cwd, isTTY: ctx[logsTo].isTTY === true });
      await handler(config);
    });
}
