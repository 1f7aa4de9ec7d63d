/**
 * `--help` of `run`, `apply`, `plan` and `export`, from the option table. Those commands hand their
 * arguments to `loadConfig` (its commander parser, flag-parser.ts, collects every problem before
 * reporting), so their own commander Command registers none of the options; its help is given the
 * table's options to list, formatted by commander as for every other command.
 */
import { Help, type Command } from 'commander';
import { TableOption, optionFlags } from './flag-parser.js';
import { commandOptions, type ConfigCommand, type OptionSpec } from './options.js';

/** The option as help shows it: `-m, --manifests <DIR>  folder of ... (env: RECONCILER_MANIFESTS; default: ./manifests)`. */
export function helpOption(spec: OptionSpec): TableOption {
  return new TableOption(spec, optionFlags(spec, '<>'), `${spec.description.replace(/`/g, '')} (env: ${spec.env}; default: ${spec.defaultText})`);
}

/** The options of `name` as help and completion list them, in table order. */
export function helpOptions(name: ConfigCommand): TableOption[] {
  return commandOptions(name).map(helpOption);
}

const footnote = [
  '',
  'Precedence: flag > environment variable > config file > default.',
  'An option the command does not use is an error on the command line and ignored in env or a config file.',
  '',
].join('\n');

/** Makes `command --help` (and `help command`) list the reconciler options of `name` before `-h, --help`. */
export function withOptionsHelp(command: Command, name: ConfigCommand): Command {
  const options = helpOptions(name);
  return command
    .configureHelp({ visibleOptions: (cmd) => [...options, ...new Help().visibleOptions(cmd)] })
    .addHelpText('after', footnote);
}
