import { expect, test } from '@jest/globals';
import { plural, pluralWord } from '../../src/plural.js';

test.each<[string, string, string]>([
  ['one is singular', plural(1, 'instance'), '1 instance'],
  ['zero is plural', plural(0, 'error'), '0 errors'],
  ['two and more are plural', plural(2, 'file'), '2 files'],
  ['a fraction is plural', plural(1.5, 'second'), '1.5 seconds'],
  ['an irregular plural is given', plural(3, 'match', 'matches'), '3 matches'],
  ['a verb agrees with one', pluralWord(1, 'exceeds', 'exceed'), 'exceeds'],
  ['a verb agrees with many', pluralWord(4, 'exceeds', 'exceed'), 'exceed'],
])('%s', (_rule, got, expected) => {
  expect(got).toBe(expected);
});
