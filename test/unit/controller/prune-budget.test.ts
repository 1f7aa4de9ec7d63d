import { describe, expect, test } from '@jest/globals';
import { decideRemovals, decideRevisionRemovals, deleteBudget, removalPolicyFor, type RemovalDecision } from '../../../src/controller/prune-budget.js';

describe('deleteBudget', () => {
  test.each<[string, number, number | undefined, number]>([
    ['is at least 1 for a tiny managed set', 0, undefined, 1],
    ['is at least 1 when 25 % rounds down to 0', 3, undefined, 1],
    ['is 25 % of the managed set rounded down', 13, undefined, 3],
    ['is at most 10', 200, undefined, 10],
    ['is exactly 10 at 40 managed', 40, undefined, 10],
    ['an explicit N replaces the default (above it)', 200, 50, 50],
    ['an explicit N replaces the default (below the minimum)', 200, 0, 0],
  ])('%s', (_rule, managed, max, expected) => {
    expect(deleteBudget(managed, max)).toBe(expected);
  });
});

describe('decideRemovals', () => {
  test.each<[string, string[], { prune: boolean; complete: boolean; budget: number }, RemovalDecision]>([
    ['removes nothing without --prune', ['a'], { prune: false, complete: true, budget: 10 }, { kind: 'disabled' }],
    ['allows an empty revision', [], { prune: true, complete: false, budget: 0 }, { kind: 'allowed', keys: [] }],
    ['allows removals within the budget', ['a', 'b'], { prune: true, complete: true, budget: 2 }, { kind: 'allowed', keys: ['a', 'b'] }],
    [
      'freezes removals from an incomplete tree',
      ['a'],
      { prune: true, complete: false, budget: 10 },
      { kind: 'refused', reason: 'frozen-incomplete', count: 1, budget: 10, message: '1 removal frozen: the manifest tree did not parse completely' },
    ],
    [
      'a revision over budget removes nothing and says why',
      ['a', 'b', 'c'],
      { prune: true, complete: true, budget: 2 },
      { kind: 'refused', reason: 'over-budget', count: 3, budget: 2, message: '3 removals exceed the delete budget of 2: nothing is removed' },
    ],
  ])('%s', (_rule, candidates, options, expected) => {
    expect(decideRemovals(candidates, options)).toEqual(expected);
  });

  test('deleting every file of a managed set removes nothing with the default budget', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `web-${i}`);
    expect(decideRemovals(keys, { prune: true, complete: true, budget: deleteBudget(keys.length) })).toMatchObject({ kind: 'refused', reason: 'over-budget' });
  });
});

describe('removalPolicyFor', () => {
  test.each<[string, RemovalDecision, string, string]>([
    ['disabled stays disabled', { kind: 'disabled' }, 'a', 'disabled'],
    ['a refused revision gives its reason', { kind: 'refused', reason: 'over-budget', count: 3, budget: 1, message: '' }, 'a', 'over-budget'],
    ['an allowed key may be removed', { kind: 'allowed', keys: ['a'] }, 'a', 'allowed'],
    ['a key outside the decided set waits for the next revision', { kind: 'allowed', keys: ['a'] }, 'b', 'next-revision'],
  ])('%s', (_rule, decision, key, expected) => {
    expect(removalPolicyFor(decision, key)).toBe(expected);
  });
});

describe('decideRevisionRemovals', () => {
  const desired = (declared: string[], blocked: string[] = [], complete = true, names: Record<string, string> = {}) => ({
    get: (key: string) => (declared.includes(key) ? { spec: { name: names[key] ?? key } } : undefined),
    blockedBy: (key: string) => (blocked.includes(key) ? {} : undefined),
    keys: () => [...declared, ...blocked].sort(),
    complete,
  });

  test.each<[string, ReturnType<typeof desired>, string[], number | undefined, string[], RemovalDecision['kind']]>([
    ['owned keys no manifest declares are orphans', desired(['a']), ['a', 'b'], undefined, ['b'], 'allowed'],
    ['a key blocked by its failing file is not an orphan', desired(['a'], ['b'], false), ['a', 'b'], undefined, [], 'allowed'],
    ['the default budget counts every owned key (8 owned: 2)', desired(['a']), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], undefined, ['b', 'c', 'd', 'e', 'f', 'g', 'h'], 'refused'],
    ['an explicit budget replaces the default', desired(['a']), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 7, ['b', 'c', 'd', 'e', 'f', 'g', 'h'], 'allowed'],
    ['an orphan whose Rancher name a new key declares is a rename, never a removal', desired(['a', 'new-b'], [], true, { 'new-b': 'b' }), ['a', 'b'], undefined, [], 'allowed'],
  ])('%s', (_rule, reader, owned, maxDelete, orphans, kind) => {
    const result = decideRevisionRemovals({ desired: reader, owned: owned.map((key) => ({ key, name: key })), prune: true, maxDelete });
    expect(result.orphans).toEqual(orphans);
    expect(result.decision.kind).toBe(kind);
  });
});
