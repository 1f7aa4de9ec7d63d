import { describe, expect, test } from '@jest/globals';
import { loadConfig, type Config, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';

function load(overrides: Partial<LoadConfigInput>): Config {
  return loadConfig({ command: 'plan', argv: [], env: {}, cwd, readFile: () => 'selector: "env in (prod,staging)"\n', ...overrides });
}

function issuesOf(overrides: Partial<LoadConfigInput>): readonly string[] {
  try {
    load(overrides);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('--only and --selector', () => {
  test.each<[string, Partial<LoadConfigInput>, readonly string[], string | null]>([
    ['the whole tree by default', {}, [], null],
    ['--only repeated and as a comma list, duplicates once', { argv: ['--only', 'a', '--only', 'b, c', '--only=a'] }, ['a', 'b', 'c'], null],
    ['apply takes them too', { command: 'apply', argv: ['--only', 'web-1', '--selector', 'tier=web'] }, ['web-1'], 'tier=web'],
    ['repeated --selector flags add up (AND)', { argv: ['--selector', 'tier=web', '--selector', '!canary'] }, [], 'tier=web,!canary'],
    ['from the environment', { env: { RECONCILER_ONLY: 'x,y', RECONCILER_SELECTOR: 'tier=db' } }, ['x', 'y'], 'tier=db'],
    ['from a config file', { argv: ['--config', 'c.yaml'] }, [], 'env in (prod,staging)'],
    ['run ignores them in the environment (one environment serves every command)', { command: 'run', env: { RECONCILER_ONLY: 'x', RECONCILER_SELECTOR: 'a=b' } }, [], null],
  ])('%s', (_rule, input, only, selector) => {
    const config = load(input);
    expect(config.subset.only).toEqual(only);
    expect(config.subset.selector?.text ?? null).toBe(selector);
  });

  test('a parsed selector keeps its terms', () => {
    expect(load({ argv: ['--selector', 'tier=web,!canary'] }).subset.selector?.terms).toEqual([
      { op: 'equals', key: 'tier', value: 'web' },
      { op: 'not-exists', key: 'canary' },
    ]);
  });

  test.each<[string, Partial<LoadConfigInput>, string]>([
    ['a bad selector names its source and the bad term', { argv: ['--selector', 'tier=web,a=b=c'] }, '--selector: bad term `a=b=c`: expected key=value'],
    ['a bad selector in the environment names the variable', { env: { RECONCILER_SELECTOR: 'tier=(web)' } }, 'RECONCILER_SELECTOR: bad term `tier=(web)`'],
    ['an --only with no name is an error', { argv: ['--only', ','] }, '--only: expected instance names (a comma list), got `,`'],
    ['run refuses --only on the command line', { command: 'run', argv: ['--only', 'web-1'] }, '--only is not used by run'],
    ['run refuses --selector on the command line', { command: 'run', argv: ['--selector', 'tier=web'] }, '--selector is not used by run'],
  ])('%s', (_rule, input, issue) => {
    expect(issuesOf(input).join('\n')).toContain(issue);
  });
});
