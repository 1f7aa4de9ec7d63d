import { expect, test } from '@jest/globals';
import { loadConfig, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const load = (overrides: Partial<LoadConfigInput>) => loadConfig({ command: 'run', argv: [], env: {}, cwd: '/work/app', ...overrides });

test.each<[string, Partial<LoadConfigInput>, number]>([
  ['defaults to 2000', {}, 2000],
  ['takes the flag', { argv: ['--events-history', '50'] }, 50],
  ['takes the environment', { env: { RECONCILER_EVENTS_HISTORY: '7' } }, 7],
  ['prefers the flag to the environment', { argv: ['--events-history', '9'], env: { RECONCILER_EVENTS_HISTORY: '7' } }, 9],
])('--events-history %s', (_rule, input, history) => {
  expect(load(input).events.history).toBe(history);
});

test.each([['0'], ['-3'], ['1.5'], ['many']])('--events-history %s is refused, naming the option', (value) => {
  expect(() => load({ argv: ['--events-history', value] })).toThrow(ConfigError);
  expect(() => load({ argv: ['--events-history', value] })).toThrow(/--events-history/);
});

test('apply does not take --events-history', () => {
  expect(() => load({ command: 'apply', argv: ['--events-history', '10'] })).toThrow(ConfigError);
});
