/**
 * What shell completion needs to know, read from the commander program itself: its commands, each
 * command's flags as its help lists them (so the option table's rows for `run`, `apply`, `plan` and
 * `export`, see config/help.ts), what each flag's value is (a choice, a file, a folder, free text) and
 * what the positional arguments are. The scripts of completion-bash.ts and completion-zsh.ts are
 * rendered from this model, so a new command or option is completed without touching them.
 */
import type { Argument, Command, Option } from 'commander';
import { TableOption } from '../config/flag-parser.js';
import type { OptionSpec } from '../config/options.js';

/** What may be proposed for a value: nothing (a flag takes none), free text, fixed words, a path. */
export type ValueCompletion =
  | Readonly<{ kind: 'none' }>
  | Readonly<{ kind: 'text'; name: string }>
  | Readonly<{ kind: 'choices'; name: string; choices: readonly string[] }>
  | Readonly<{ kind: 'file' | 'dir'; name: string }>;

export type FlagModel = Readonly<{
  /** `-m`, when the flag has a short form. */
  short: string | undefined;
  /** `--manifests`. */
  long: string | undefined;
  summary: string;
  value: ValueCompletion;
  /** Whether the flag may be given more than once. */
  repeatable: boolean;
}>;

export type CommandModel = Readonly<{
  name: string;
  summary: string;
  flags: readonly FlagModel[];
  /** The positional arguments; `none` when the command takes none. */
  operands: ValueCompletion;
  variadic: boolean;
}>;

export type CompletionModel = Readonly<{ program: string; flags: readonly FlagModel[]; commands: readonly CommandModel[] }>;

/** Reads the model from `program` and its commands, as their help shows them (hidden ones left out). */
export function completionModel(program: Command): CompletionModel {
  const commands = program.createHelp().visibleCommands(program);
  const names = commands.map((command) => command.name());
  return {
    program: program.name(),
    flags: flagsOf(program),
    commands: commands.map((command) => commandModel(command, names)),
  };
}

function commandModel(command: Command, commandNames: readonly string[]): CommandModel {
  const argument = command.registeredArguments[0];
  return {
    name: command.name(),
    summary: summary(command.description()),
    flags: flagsOf(command),
    operands: argument === undefined ? { kind: 'none' } : operandValue(argument, commandNames),
    variadic: argument?.variadic === true,
  };
}

function flagsOf(command: Command): FlagModel[] {
  return command.createHelp().visibleOptions(command).map((option) => ({
    short: option.short,
    long: option.long,
    summary: summary(option instanceof TableOption ? option.spec.description : option.description),
    value: optionValue(option),
    // commander has no "repeatable" mark: an accumulating option starts from an array default
    repeatable: option instanceof TableOption ? option.spec.repeatable === true : option.variadic || Array.isArray(option.defaultValue),
  }));
}

function optionValue(option: Option): ValueCompletion {
  if (!option.required && !option.optional) return { kind: 'none' };
  if (option instanceof TableOption) return specValue(option.spec);
  const name = placeholder(option.flags);
  if (option.argChoices !== undefined) return { kind: 'choices', name, choices: option.argChoices };
  return pathByName(name);
}

/** The table knows the kind: only `path` rows are local paths (`--git-path` is a folder inside the repository). */
function specValue(spec: OptionSpec): ValueCompletion {
  const name = spec.valueName ?? 'VALUE';
  if (spec.choices !== undefined) return { kind: 'choices', name, choices: spec.choices };
  if (spec.kind === 'path') return { kind: name === 'DIR' ? 'dir' : 'file', name };
  return { kind: 'text', name };
}

/** commander's own help command takes a command name; other arguments are judged by choices or name. */
function operandValue(argument: Argument, commandNames: readonly string[]): ValueCompletion {
  const name = argument.name();
  if (argument.argChoices !== undefined) return { kind: 'choices', name, choices: argument.argChoices };
  if (name === 'command') return { kind: 'choices', name, choices: commandNames };
  return pathByName(name);
}

/** For options and arguments outside the table, the placeholder says it: `<dir>`, `<file>`, `[paths...]`. */
function pathByName(name: string): ValueCompletion {
  const word = name.toLowerCase();
  if (word === 'dir') return { kind: 'dir', name };
  if (['file', 'path', 'paths'].includes(word)) return { kind: 'file', name };
  return { kind: 'text', name };
}

function placeholder(flags: string): string {
  return /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(flags)?.[1] ?? 'value';
}

/** The first clause of a description, without markdown backticks, cut at a word: what fits beside a completion. */
function summary(text: string): string {
  const first = text.replace(/`/g, '').split('; ')[0] ?? '';
  return first.length > 72 ? `${first.slice(0, first.lastIndexOf(' ', 69))} ...` : first;
}
