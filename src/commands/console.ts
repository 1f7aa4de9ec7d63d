/**
 * `rancher-reconciler console <name|id> [options]`: calls Rancher's `console` action on one instance and
 * prints the answer (the websocket URL and its token), as the Rancher UI does before it opens a VM's
 * console. Only a running virtual machine offers `console` (docs/rancher-v1.md#virtual-machines); for
 * anything else it prints why not and calls nothing. Exit 0 printed; 1 not found, not offered, or an
 * API error. The connection options are the configuration table's (`console` column).
 */
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { selectedEnvironments } from '../config/environment-config.js';
import { withOptionsHelp } from '../config/help.js';
import { findOption, optionSpecs, type OptionSpec } from '../config/options.js';
import { createLogger } from '../logger.js';
import { openRancher } from '../rancher-connection.js';
import { fatalApiCondition } from '../rancher/api-condition.js';
import { createRancherClient } from '../rancher/rancher-client.js';
import { openConsole, type ConsoleOutcome } from './console-lookup.js';
import { exitCodes, type CliContext } from './context.js';

/**
 * Splits the arguments into the instance named and the option arguments for `loadConfig`: the first
 * argument that is neither an option nor the value of the option before it (`--url X web` names `web`).
 */
export function splitTarget(args: readonly string[]): { target: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let target: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg.startsWith('-')) {
      rest.push(arg);
      const spec = specOf(arg);
      // a value flag given as `--flag value` takes the next argument with it
      if (!arg.includes('=') && spec !== undefined && spec.kind !== 'boolean' && index + 1 < args.length) rest.push(args[(index += 1)]!);
    } else if (target === undefined) target = arg;
    else rest.push(arg);
  }
  return { target, rest };
}

/** The option a flag argument names (`--url`, `--url=X`, `-u`), or undefined. */
function specOf(arg: string): OptionSpec | undefined {
  const name = arg.replace(/^--?/, '').split('=')[0] ?? '';
  return arg.startsWith('--') ? findOption(name) : optionSpecs.find((spec) => spec.short === name);
}

function print(ctx: CliContext, outcome: ConsoleOutcome): void {
  if (outcome.kind === 'refused') {
    ctx.stderr.write(`error: ${outcome.reason}\n`);
    ctx.setExitCode(exitCodes.error);
    return;
  }
  const { access, instance } = outcome;
  ctx.stdout.write(`console of ${instance.name ?? instance.id} (${instance.id}):\n`);
  for (const key of ['url', 'token', 'password', 'kind']) {
    if (typeof access[key] === 'string') ctx.stdout.write(`${key}: ${access[key]}\n`);
  }
  ctx.setExitCode(exitCodes.ok);
}

async function consoleAction(ctx: CliContext, args: readonly string[]): Promise<void> {
  const { target, rest } = splitTarget(args);
  if (target === undefined) {
    ctx.stderr.write('error: console needs the name or Rancher id (1i…) of an instance\n');
    ctx.setExitCode(exitCodes.error);
    return;
  }
  const loaded = loadConfig({ command: 'console', argv: rest, env: ctx.env, cwd: ctx.cwd, isTTY: ctx.stderr.isTTY === true });
  // one instance lives in one environment: with several configured, --env names it
  const chosen = selectedEnvironments(loaded);
  if (chosen.length !== 1 || chosen[0] === undefined) {
    ctx.stderr.write(`error: console works in one environment: give --env NAME (one of ${chosen.map((entry) => entry.environment.name).join(', ')})\n`);
    ctx.setExitCode(exitCodes.error);
    return;
  }
  const { config } = chosen[0];
  const log = createLogger(config.log, ctx.stderr);
  // read-only: an embedded emulator runs on a copy of its data file, as for plan and export
  const rancher = await openRancher(config, { log, readOnly: true });
  // a client of its own on the connection's URL: the instance port knows containers only
  const client = createRancherClient({ api: { ...config.api, url: rancher.url }, log });
  try {
    print(ctx, await openConsole(client.http, target, ctx.shutdown));
  } catch (e: unknown) {
    const fatal = fatalApiCondition(e);
    if (fatal === undefined) throw e;
    ctx.stderr.write(`error: ${fatal.message}\n`);
    ctx.setExitCode(exitCodes.error);
  } finally {
    client.close();
    await rancher.close();
  }
}

/** The `console` command. */
export function consoleCommand(ctx: CliContext): Command {
  const command = new Command('console')
    .description("print the console URL and token of a running virtual machine (Rancher's console action; exit 0 printed, 1 not offered or error)")
    .argument('<name|id>', 'the instance: its Rancher name, or its id (1i…)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help')
    .action(async (_target: string, _options: unknown, self: Command) => consoleAction(ctx, self.args));
  return withOptionsHelp(command, 'console');
}
