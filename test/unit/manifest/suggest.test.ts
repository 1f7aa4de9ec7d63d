import { expect, test } from '@jest/globals';
import { closest, editDistance } from '../../../src/manifest/suggest.js';

const fields = ['imageUuid', 'environment', 'entryPoint', 'restartPolicy', 'tty', 'state'];

test.each<[string, string, string | undefined]>([
  ['a case-only difference matches', 'ImageUUID', 'imageUuid'],
  ['one missing letter matches', 'imgeUuid', 'imageUuid'],
  ['two edits match in a long word', 'enviroment', 'environment'],
  ['short words allow only one edit', 'tyy', 'tty'],
  ['short words reject two edits', 'xyz', undefined],
  ['unrelated words get no hint', 'volumes', undefined],
])('closest: %s', (_rule, word, expected) => {
  expect(closest(word, fields)).toBe(expected);
});

test.each<[string, string, number]>([
  ['', 'abc', 3],
  ['abc', 'abc', 0],
  ['kitten', 'sitting', 3],
])('editDistance(%j, %j) = %d', (a, b, expected) => {
  expect(editDistance(a, b)).toBe(expected);
});
