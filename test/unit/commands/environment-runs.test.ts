import { describe, expect, test } from '@jest/globals';
import { environmentHeader, worstExitCode } from '../../../src/commands/environment-runs.js';

describe('worstExitCode', () => {
  test.each<[string, number[], number]>([
    ['no environment ran: 0', [], 0],
    ['all nothing to do: 0', [0, 0, 0], 0],
    ['changes anywhere: 2', [0, 2, 0], 2],
    ['an error beats changes: 1', [2, 1, 2], 1],
    ['an error beats nothing to do: 1', [0, 1], 1],
    ['an unknown code counts as an error', [0, 130], 1],
  ])('%s', (_rule, codes, expected) => expect(worstExitCode(codes)).toBe(expected));
});

test('the section header names the environment on a line of its own', () => {
  expect(environmentHeader('dev')).toBe('== environment dev ==\n');
});
