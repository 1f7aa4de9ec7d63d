import { expect, test } from '@jest/globals';
import { phases, summarizePhases, type Phase } from '../../../src/domain/status.js';
import { anEmptyStatusDocument } from '../../helpers/builders.js';

test.each<[string, Phase[], Record<string, number>]>([
  ['no instances count zero in every phase', [], { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, suspended: 0, total: 0 }],
  ['each instance counts once in its phase', ['in-sync', 'in-sync', 'blocked', 'suspended'], { 'in-sync': 2, progressing: 0, waiting: 0, blocked: 1, failed: 0, suspended: 1, total: 4 }],
])('summarizePhases: %s', (_rule, list, expected) => {
  expect(summarizePhases(list.map((phase) => ({ phase })))).toEqual(expected);
});

test('the empty document is not ready and lists every phase at zero', () => {
  const doc = anEmptyStatusDocument();
  expect(doc).toMatchObject({ revision: null, complete: false, ready: false, instances: [], manifestIssues: [], removalsRefused: null });
  expect(Object.keys(doc.summary)).toEqual([...phases, 'total']);
});
