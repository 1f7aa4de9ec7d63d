/**
 * The command line of `run`, `apply`, `plan` and `export`, tokenised by commander from the option table
 * (src/config/options.ts) and put into the same RawValue map the environment and the config file fill,
 * so that validation, precedence and messages have one path (`loadConfig`). Nothing is thrown: unknown
 * options, options of another command, positional arguments and missing values are all collected, so
 * that one run lists every problem.
 */
import { Command, Option } from 'commander';
import { findOption, optionSpecs, type ConfigCommand, type OptionSpec } from './options.js';
import type { Collected, RawValue } from './raw-values.js';

/** A commander Option made from a row of the option table; `spec` is the row (help and completion read it). */
export class TableOption extends Option {
  readonly spec: OptionSpec;

  constructor(spec: OptionSpec, flags: string, description?: string) {
    super(flags, description);
    this.spec = spec;
  }
}

/**
 * commander flags of a row: `-m, --manifests <DIR>` (`brackets: '<>'`, as help shows it) or
 * `-m, --manifests [DIR]` (`'[]'`, as the parser reads it); boolean rows are plain flags (`--prune`).
 */
export function optionFlags(spec: OptionSpec, brackets: '<>' | '[]'): string {
  const names = spec.short === undefined ? `--${spec.name}` : `-${spec.short}, --${spec.name}`;
  if (spec.kind === 'boolean') return names;
  const value = spec.valueName ?? 'VALUE';
  return `${names} ${brackets === '<>' ? `<${value}>` : `[${value}]`}`;
}

/** One flag as commander met it; `value` null = the flag came without the value it needs. */
type Occurrence = Readonly<{ spec: OptionSpec; value: string | boolean | null }>;

/**
 * Reads the command's own arguments with commander: `--name VALUE`, `--name=VALUE`, `-m VALUE`,
 * `-mVALUE`, boolean `--name` / `--name=true|false`. Every row of the table is known to the parser, so
 * that an option of another command is named as such (`--listen is not used by plan`). A repeated flag
 * keeps its last value; a `repeatable` one adds to a comma list (`--name a --name b` = `--name a,b`).
 * Problems come in two groups: unknown options and stray arguments first, then the flags' own, each
 * in command-line order.
 */
export function collectFlags(command: ConfigCommand, argv: readonly string[], cwd: string): Collected {
  const { occurrences, operands, unknown } = parse(argv);
  const issues = operands.map((arg) => unexpected(command, arg));
  const extra = readUnknown(command, unknown, issues);
  const values = new Map<string, RawValue>();
  for (const occurrence of [...occurrences, ...extra]) record(command, occurrence, { values, issues }, cwd);
  return { values, issues };
}

/**
 * commander's `parseOptions` over a parser that knows every row. Value options are declared with an
 * optional value (`[DIR]`) on purpose: commander then leaves a following flag alone and reports the
 * missing value as `null` instead of throwing at the first one (`--manifests --prune` is a missing
 * value, never a folder named `--prune`), so that every problem can be listed.
 */
function parse(argv: readonly string[]): { occurrences: Occurrence[]; operands: string[]; unknown: string[] } {
  const parser = new Command().helpOption(false);
  const occurrences: Occurrence[] = [];
  for (const spec of optionSpecs) {
    const option = new TableOption(spec, optionFlags(spec, '[]'));
    parser.addOption(option);
    parser.on(`option:${option.name()}`, (value: string | null | undefined) => {
      occurrences.push({ spec, value: spec.kind === 'boolean' ? true : (value ?? null) });
    });
  }
  return { occurrences, ...parser.parseOptions([...argv]) };
}

/**
 * What commander did not recognise: from the first unknown option on, the rest of the line. A boolean
 * row written `--prune=false` lands here too (commander's flags take no value) and is returned as a
 * flag; the `=` form therefore wins over a bare `--prune` on the same line.
 */
function readUnknown(command: ConfigCommand, unknown: readonly string[], issues: string[]): Occurrence[] {
  const flags: Occurrence[] = [];
  for (let i = 0; i < unknown.length; i += 1) {
    const arg = unknown[i] ?? '';
    if (arg === '--') {
      issues.push(...unknown.slice(i + 1).map((rest) => unexpected(command, rest)));
      break;
    }
    if (!isOptionLike(arg)) {
      issues.push(unexpected(command, arg));
      continue;
    }
    const eq = arg.indexOf('=');
    const spec = arg.startsWith('--') && eq > 2 ? findOption(arg.slice(2, eq)) : undefined;
    if (spec?.kind === 'boolean') {
      flags.push({ spec, value: arg.slice(eq + 1) });
      continue;
    }
    issues.push(`unknown option ${eq === -1 ? arg : arg.slice(0, eq)} for command ${command}`);
    // `--foo bar`: bar is most likely --foo's value: one problem, not two, and the value (perhaps a secret) is not echoed
    if (eq === -1 && arg.startsWith('--') && !isOptionLike(unknown[i + 1] ?? '-')) i += 1;
  }
  return flags;
}

function record(command: ConfigCommand, { spec, value }: Occurrence, into: Collected, cwd: string): void {
  const label = `--${spec.name}`;
  if (value === null) {
    into.issues.push(`${label}: expected a value (${spec.valueName ?? 'VALUE'})`);
    return;
  }
  if (!spec.commands.includes(command)) {
    into.issues.push(`${label} is not used by ${command}`);
    return;
  }
  const previous = into.values.get(spec.name)?.value;
  const joined = spec.repeatable === true && typeof previous === 'string' && typeof value === 'string' ? `${previous},${value}` : value;
  into.values.set(spec.name, { value: joined, source: 'flag', label, baseDir: cwd });
}

/** commander's test for "looks like an option": a dash and more, except a negative number. */
function isOptionLike(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !/^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg);
}

function unexpected(command: ConfigCommand, arg: string): string {
  return `unexpected argument \`${arg}\` for command ${command}`;
}
