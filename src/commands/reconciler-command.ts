/**
 * The shape shared by `run`, `apply`, `plan` and `export`: commander dispatches the command and
 * answers `--help`; every other argument goes to `loadConfig`, whose commander parser
 * (src/config/flag-parser.ts) reports all problems at once, unknown options included. Stopping at the
 * first bad flag, as commander's own parse does, would hide the rest behind one fix-and-rerun each.
 */
import { Command } from 'commander';
import { loadConfig, type Config, type ConfigCommand } from '../config.js';
import { withOptionsHelp } from '../config/help.js';
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
  const command = new Command(name)
    .description(description)
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help')
    .action(async (_options: unknown, self: Command) => {
      const config = loadConfig({ command: name, argv: self.args, env: ctx.env, cwd: ctx.cwd, isTTY: ctx[logsTo].isTTY === true });
      await handler(config);
    });
  return withOptionsHelp(command, name);
}
