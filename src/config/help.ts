/**
 * Help text for the reconciler options of one command, derived from the option table. The commands
 * hand their raw arguments to `loadConfig` (commander only sees `--help`), so they append this text
 * with `command.addHelpText('after', optionsHelp('plan'))` to keep `plan --help` complete.
 */
import { commandOptions, type ConfigCommand } from './options.js';

/**
 * The option list of a command, one entry per option: flag and value name, then meaning, env var and
 * default. Wrapped for an 80-column terminal; starts with a blank line.
 */
export function optionsHelp(command: ConfigCommand): string {
  const rows = commandOptions(command).map((spec) => ({
    flag: `--${spec.name}${spec.valueName ? ` ${spec.valueName}` : ''}`,
    text: `${spec.description.replace(/`/g, '')} [env ${spec.env}; default ${spec.defaultText}]`,
  }));
  const width = Math.max(...rows.map((row) => row.flag.length)) + 4;
  const lines = ['', 'Reconciler options (flag > env > config file > default):'];
  for (const row of rows) lines.push(`  ${row.flag.padEnd(width - 2)}${row.text}`);
  lines.push('', 'An option the command does not use is an error on the command line and ignored in env or a config file.');
  return `${lines.join('\n')}\n`;
}
