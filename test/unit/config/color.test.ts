import { expect, test } from '@jest/globals';
import { colorFromEnv } from '../../../src/config/color.js';

test.each<[string, Record<string, string>, boolean, boolean]>([
  ['a terminal gets colour', {}, true, true],
  ['a pipe or file gets none', {}, false, false],
  ['NO_COLOR with any non-empty value turns it off on a terminal', { NO_COLOR: '1' }, true, false],
  ['NO_COLOR=0 is non-empty, so it turns colour off too (no-color.org)', { NO_COLOR: '0' }, true, false],
  ['an empty NO_COLOR is as if unset', { NO_COLOR: '' }, true, true],
  ['FORCE_COLOR colours a pipe', { FORCE_COLOR: '1' }, false, true],
  ['an empty FORCE_COLOR forces colour too (as Node and supports-color read it)', { FORCE_COLOR: '' }, false, true],
  ['FORCE_COLOR=0 turns it off on a terminal', { FORCE_COLOR: '0' }, true, false],
  ['FORCE_COLOR=false turns it off on a terminal', { FORCE_COLOR: 'false' }, true, false],
  ['NO_COLOR wins over FORCE_COLOR', { NO_COLOR: '1', FORCE_COLOR: '1' }, false, false],
])('%s', (_rule, env, isTTY, color) => {
  expect(colorFromEnv(env, isTTY)).toBe(color);
});
