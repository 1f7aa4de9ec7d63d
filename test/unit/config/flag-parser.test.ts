/**
 * The command line as commander reads it for run, apply, plan and export (src/config/flag-parser.ts):
 * every spelling a commander CLI accepts, repeatable options, and every problem collected at once.
 */
import { describe, expect, it, test } from '@jest/globals';
import { collectFlags } from '../../../src/config/flag-parser.js';
import type { ConfigCommand } from '../../../src/config/options.js';
import { loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';

/** The raw flag values by option name, or the issues when there are any. */
function flags(command: ConfigCommand, argv: string[]): Record<string, string | boolean> | readonly string[] {
  const { values, issues } = collectFlags(command, argv, cwd);
  return issues.length > 0 ? issues : Object.fromEntries([...values].map(([name, raw]) => [name, raw.value]));
}

describe('collectFlags spellings', () => {
  test.each<[string, ConfigCommand, string[], Record<string, string | boolean>]>([
    ['--name VALUE', 'plan', ['--manifests', 'm'], { manifests: 'm' }],
    ['--name=VALUE', 'plan', ['--manifests=m'], { manifests: 'm' }],
    ['--name= gives an empty value (validation names it later)', 'plan', ['--qps='], { qps: '' }],
    ['a value with = in it', 'plan', ['--selector=app=web'], { selector: 'app=web' }],
    ['-m VALUE', 'plan', ['-m', 'm'], { manifests: 'm' }],
    ['-mVALUE, value joined to the short flag', 'plan', ['-mm'], { manifests: 'm' }],
    ['-o for --output', 'plan', ['-o', 'json'], { output: 'json' }],
    ['-u for --url', 'apply', ['-u', 'http://r:8080/v1'], { url: 'http://r:8080/v1' }],
    ['-u on export', 'export', ['-u', 'http://r:8080/v1'], { url: 'http://r:8080/v1' }],
    ['`-` as a value (stdout)', 'export', ['--file', '-'], { file: '-' }],
    ['a negative number as a value', 'run', ['--max-delete', '-1'], { 'max-delete': '-1' }],
    ['a boolean flag', 'apply', ['--prune'], { prune: true }],
    ['a boolean with =false', 'apply', ['--prune=false'], { prune: 'false' }],
    ['a boolean with =true', 'apply', ['--prune=true'], { prune: 'true' }],
    ['a repeated flag keeps the last value', 'run', ['--qps', '1', '--qps=2'], { qps: '2' }],
    ['a repeatable flag adds up, in every spelling', 'export', ['--name', 'a', '--name=b', '--name', 'c,d'], { name: 'a,b,c,d' }],
    ['flags in any order with options of every kind', 'plan', ['-o', 'json', '--prune', '-m', 'x', '--qps=3'], { output: 'json', prune: true, manifests: 'x', qps: '3' }],
  ])('reads %s', (_rule, command, argv, expected) => {
    expect(flags(command, argv)).toEqual(expected);
  });

  it('labels every value with its long flag, as the messages name it', () => {
    const raw = collectFlags('plan', ['-o', 'json'], cwd).values.get('output');
    expect(raw).toEqual({ value: 'json', source: 'flag', label: '--output', baseDir: cwd });
  });
});

describe('collectFlags problems', () => {
  test.each<[string, ConfigCommand, string[], string[]]>([
    ['an unknown long option', 'plan', ['--foo'], ['unknown option --foo for command plan']],
    ['an unknown option with its value, once and without the value', 'plan', ['--foo', 'SECRET'], ['unknown option --foo for command plan']],
    ['an unknown option written with =', 'plan', ['--foo=SECRET'], ['unknown option --foo for command plan']],
    ['an unknown short option', 'plan', ['-x'], ['unknown option -x for command plan']],
    ['a short option of another command', 'apply', ['-o', 'json'], ['--output is not used by apply']],
    ['a missing value at the end', 'run', ['--qps'], ['--qps: expected a value (N)']],
    ['a missing value of a short flag', 'plan', ['-m'], ['--manifests: expected a value (DIR)']],
    ['a missing value before another flag', 'run', ['--manifests', '--prune'], ['--manifests: expected a value (DIR)']],
    ['a positional argument', 'run', ['manifests'], ['unexpected argument `manifests` for command run']],
    ['arguments after --', 'run', ['--', 'x', '--qps'], ['unexpected argument `x` for command run', 'unexpected argument `--qps` for command run']],
    ['a value given to a boolean as the next word', 'apply', ['--prune', 'yes'], ['unexpected argument `yes` for command apply']],
  ])('reports %s', (_rule, command, argv, issues) => {
    expect(flags(command, argv)).toEqual(issues);
  });

  it('collects every kind of problem in one pass: unknown, stray, wrong command, missing value', () => {
    const argv = ['stray', '--foo', 'bar', '--listen', ':1', '-x', '--timeout=5', '-o'];
    expect(flags('plan', argv)).toEqual([
      'unexpected argument `stray` for command plan',
      'unknown option --foo for command plan',
      'unknown option -x for command plan',
      '--listen is not used by plan',
      '--timeout is not used by plan',
      '--output: expected a value (FORMAT)',
    ]);
  });
});

describe('loadConfig with the commander parser', () => {
  it('reports the command line problems together with the bad values and the environment', () => {
    let issues: readonly string[] = [];
    try {
      loadConfig({ command: 'plan', argv: ['--bogus', '-o', 'yaml', '--listen=:1', '--qps'], env: { RECONCILER_LOG_LEVEL: 'loud' }, cwd });
    } catch (e: unknown) {
      if (!(e instanceof ConfigError)) throw e;
      issues = e.issues;
    }
    expect(issues).toEqual([
      'unknown option --bogus for command plan',
      '--listen is not used by plan',
      '--qps: expected a value (N)',
      '--output: expected one of text, json, got `yaml`',
      'RECONCILER_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got `loud`',
    ]);
  });

  it('lets a short flag win over the environment, as its long form does', () => {
    const config = loadConfig({ command: 'plan', argv: ['-m', 'from-flag', '-o', 'json'], env: { RECONCILER_MANIFESTS: '/env', RECONCILER_OUTPUT: 'text' }, cwd });
    expect([config.manifests.dir, config.output]).toEqual(['/work/app/from-flag', 'json']);
  });

  it('keeps every --exclude of a repeated flag', () => {
    expect(loadConfig({ command: 'run', argv: ['--exclude', 'a/**', '--exclude=b'], env: {}, cwd }).manifests.exclude).toEqual(['a/**', 'b']);
  });
});
