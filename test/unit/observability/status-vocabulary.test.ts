import { expect, test } from '@jest/globals';
import { emptyStatusDocument, isPhase, phases, summarizePhases, type Phase } from '../../../src/domain/status.js';

test.each<[string, Phase[], Record<string, number>]>([
  ['no instances count zero in every phase', [], { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, total: 0 }],
  ['each instance counts once in its phase', ['in-sync', 'in-sync', 'blocked'], { 'in-sync': 2, progressing: 0, waiting: 0, blocked: 1, failed: 0, total: 3 }],
])('summarizePhases: %s', (_rule, list, expected) => {
  expect(summarizePhases(list.map((phase) => ({ phase })))).toEqual(expected);
});

test.each([
  ['in-sync', true],
  ['failed', true],
  ['error', false],
  ['', false],
])('isPhase(%j) is %s', (value, expected) => {
  expect(isPhase(value)).toBe(expected);
});

test('the empty document is not ready and lists every phase at zero', () => {
  const doc = emptyStatusDocument();
  expect(doc).toMatchObject({ revision: null, complete: false, ready: false, instances: [], manifestIssues: [], removalsRefused: null });
  expect(Object.keys(doc.summary)).toEqual([...phases, 'total']);
});
