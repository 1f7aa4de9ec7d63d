import { describe, expect, test } from '@jest/globals';
import { decideRevisionRemovals } from '../../../src/controller/prune-budget.js';
import { assertOnlyNamesKnown, inSubset, selectKeys, subsetLine, summarizeSubset, unknownOnlyNames, wholeTree, type Subset, type SubsetSources } from '../../../src/controller/subset.js';
import { ownershipLabels } from '../../../src/domain/ownership.js';
import { parseSelector } from '../../../src/domain/selector.js';
import type { InventoryEntry } from '../../../src/domain/plan.js';
import { ConfigError } from '../../../src/errors.js';
import { aDesiredInstance, aDesiredReader, aLiveInstance, anInventoryEntry } from '../../helpers/builders.js';

function subset(only: string[], selector?: string): Subset {
  const parsed = selector === undefined ? undefined : parseSelector(selector);
  if (parsed !== undefined && !parsed.ok) throw new Error(parsed.issue);
  return { only, selector: parsed?.selector };
}

/**
 * web-1, web-2 (tier=web; web-2's Rancher name is `front`), db-1 (tier=db) are declared and owned;
 * old-1 is owned with its manifest gone (Rancher name `legacy`); lost-1 is known only by our labels on 1i9.
 */
function sources(): SubsetSources {
  const desired = aDesiredReader([
    aDesiredInstance({ key: 'web-1', spec: { labels: { tier: 'web' } } }),
    aDesiredInstance({ key: 'web-2', spec: { name: 'front', labels: { tier: 'web' } } }),
    aDesiredInstance({ key: 'db-1', spec: { labels: { tier: 'db' } } }),
  ]);
  const entries: InventoryEntry[] = [
    anInventoryEntry({ key: 'web-1', id: '1i1' }),
    anInventoryEntry({ key: 'old-1', id: '1i5', name: 'legacy' }),
  ];
  const inventory = {
    entries: () => entries,
    get: (key: string) => entries.find((e) => e.key === key),
    ownerOf: (id: string) => entries.find((e) => e.id === id)?.key,
  };
  const lost = aLiveInstance({ id: '1i9', name: 'lost-name', fields: { labels: { ...ownershipLabels('lost-1') } } });
  return { desired, inventory, live: { all: () => [lost] } };
}

describe('selectKeys', () => {
  test.each<[string, Subset, string[]]>([
    ['the whole tree is every declared or owned key', wholeTree, ['db-1', 'lost-1', 'old-1', 'web-1', 'web-2']],
    ['--only takes a key', subset(['web-1']), ['web-1']],
    ['--only takes a Rancher name', subset(['front']), ['web-2']],
    ['--only takes an orphan by key', subset(['old-1']), ['old-1']],
    ['--only takes an orphan by its owned Rancher name', subset(['legacy']), ['old-1']],
    ['--only takes a key known only from our labels', subset(['lost-1']), ['lost-1']],
    ['--selector takes the declared keys whose labels match', subset([], 'tier=web'), ['web-1', 'web-2']],
    ['--selector never takes an orphan (its labels are gone)', subset([], '!tier'), []],
    ['both given: both must hold', subset(['web-1', 'db-1'], 'tier=web'), ['web-1']],
    ['both given: an orphan named in --only is still outside the selector', subset(['old-1'], 'tier=web'), []],
  ])('%s', (_rule, chosen, keys) => {
    const selection = selectKeys(chosen, sources());
    expect(selection.keys).toEqual(keys);
    expect(selection.leftOut).toBe(5 - keys.length);
  });

  test('inSubset agrees with selectKeys key by key', () => {
    const chosen = subset(['legacy', 'web-1']);
    const all = selectKeys(wholeTree, sources()).keys;
    expect(all.filter((key) => inSubset(chosen, key, sources()))).toEqual(selectKeys(chosen, sources()).keys);
  });
});

describe('unknown --only names', () => {
  test('lists the names no declared or owned instance has, keys and Rancher names both counting', () => {
    expect(unknownOnlyNames(subset(['web-1', 'front', 'legacy', 'lost-1', 'lost-name', 'wbe-1', 'nope']), sources())).toEqual(['wbe-1', 'nope']);
  });

  test('is a usage error naming them', () => {
    const check = (): void => assertOnlyNamesKnown(subset(['wbe-1']), sources());
    expect(check).toThrow(ConfigError);
    expect(check).toThrow('--only: no declared or owned instance has the key or Rancher name `wbe-1` (names are matched exactly)');
  });

  test('a selector that matches nothing is no error', () => {
    expect(() => assertOnlyNamesKnown(subset([], 'tier=nothing'), sources())).not.toThrow();
  });
});

describe('subsetLine', () => {
  test.each<[string, Subset, string]>([
    ['says nothing for the whole tree', wholeTree, ''],
    ['counts what a selector leaves out', subset([], 'tier=web'), '3 instances outside --selector tier=web: not planned.\n'],
    ['names both filters', subset(['web-1'], 'tier=web'), '4 instances outside --only web-1 and --selector tier=web: not planned.\n'],
    ['says when nothing matches', subset([], 'tier=cache'), 'No instance matches --selector tier=cache (5 instances outside it: not planned).\n'],
  ])('%s', (_rule, chosen, line) => {
    expect(subsetLine(summarizeSubset(chosen, selectKeys(chosen, sources())), 'planned')).toBe(line);
  });
});

describe('removals of a subset', () => {
  const desired = aDesiredReader([aDesiredInstance({ key: 'keep' })]);
  const owned = [{ key: 'keep', name: 'keep' }, ...['a', 'b', 'c', 'd'].map((key) => ({ key, name: key }))];

  test('only the orphans in the subset are candidates, within the budget of the whole managed set', () => {
    const { orphans, decision } = decideRevisionRemovals({ desired, owned, prune: true, maxDelete: undefined, inSubset: (key) => key === 'a' });
    expect(orphans).toEqual(['a']);
    expect(decision).toEqual({ kind: 'allowed', keys: ['a'] });
  });

  test('orphans outside the subset do not push it over the budget', () => {
    // 4 orphans over a budget of 1 (25 % of 5): refused for the whole tree, allowed for the one named
    expect(decideRevisionRemovals({ desired, owned, prune: true, maxDelete: undefined }).decision.kind).toBe('refused');
    expect(decideRevisionRemovals({ desired, owned, prune: true, maxDelete: undefined, inSubset: (key) => key === 'b' }).decision).toEqual({ kind: 'allowed', keys: ['b'] });
  });
});
