import { describe, expect, test } from '@jest/globals';
import { matchesSelector, parseSelector, type LabelSelector, type SelectorTerm } from '../../../src/domain/selector.js';

function parsed(text: string): LabelSelector {
  const result = parseSelector(text);
  if (!result.ok) throw new Error(`expected \`${text}\` to parse: ${result.issue}`);
  return result.selector;
}

describe('parseSelector', () => {
  test.each<[string, string, SelectorTerm[]]>([
    ['k=v is equality', 'tier=web', [{ op: 'equals', key: 'tier', value: 'web' }]],
    ['k==v is equality too', 'tier==web', [{ op: 'equals', key: 'tier', value: 'web' }]],
    ['k!=v is inequality', 'tier!=db', [{ op: 'not-equals', key: 'tier', value: 'db' }]],
    ['a bare key is existence', 'canary', [{ op: 'exists', key: 'canary' }]],
    ['!k is absence', '!canary', [{ op: 'not-exists', key: 'canary' }]],
    ['k in (a,b) is a set', 'env in (prod, staging)', [{ op: 'in', key: 'env', values: ['prod', 'staging'] }]],
    ['k notin (a,b) is the complement', 'env notin (dev)', [{ op: 'not-in', key: 'env', values: ['dev'] }]],
    ['an empty value is allowed', 'tier=', [{ op: 'equals', key: 'tier', value: '' }]],
    ['spaces around operators and terms are ignored', ' tier = web , !canary ', [{ op: 'equals', key: 'tier', value: 'web' }, { op: 'not-exists', key: 'canary' }]],
    ['Rancher keys with dots, slashes and colons work', 'io.rancher.scheduler.affinity:host_label=a/b', [{ op: 'equals', key: 'io.rancher.scheduler.affinity:host_label', value: 'a/b' }]],
    [
      'commas inside a set do not split terms',
      'env in (a,b),tier=web',
      [{ op: 'in', key: 'env', values: ['a', 'b'] }, { op: 'equals', key: 'tier', value: 'web' }],
    ],
  ])('%s', (_rule, text, terms) => {
    expect(parsed(text)).toEqual({ text: text.trim(), terms });
  });

  test.each<[string, string, string]>([
    ['names the bad term among good ones', 'tier=web,a=b=c', 'bad term `a=b=c`: expected key=value, key!=value, key in (a,b), key notin (a,b), key or !key'],
    ['rejects a value with a space', 'tier=web app', 'bad term `tier=web app`'],
    ['rejects !k=v', '!tier=web', 'bad term `!tier=web`'],
    ['rejects an unclosed set', 'env in (a,b', 'bad term `env in (a,b`'],
    ['rejects an empty set', 'env in ()', 'bad term `env in ()`'],
    ['rejects a stray comma', 'tier=web,', 'empty term in `tier=web,` (a stray comma?)'],
    ['rejects an empty selector', '  ', 'empty selector'],
  ])('%s', (_rule, text, issue) => {
    const result = parseSelector(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.issue).toContain(issue);
  });
});

describe('matchesSelector', () => {
  const web = { tier: 'web', env: 'prod' };
  test.each<[string, string, Record<string, string> | undefined, boolean]>([
    ['equality holds on the same value', 'tier=web', web, true],
    ['equality fails on another value', 'tier=db', web, false],
    ['equality fails when the label is absent', 'tier=web', {}, false],
    ['inequality holds on another value', 'tier!=db', web, true],
    ['inequality holds when the label is absent (as kubectl)', 'tier!=web', {}, true],
    ['inequality fails on the same value', 'tier!=web', web, false],
    ['existence holds with any value', 'env', web, true],
    ['existence fails without the label', 'canary', web, false],
    ['absence holds without the label', '!canary', web, true],
    ['absence fails with the label', '!env', web, false],
    ['a set holds on a member', 'env in (staging,prod)', web, true],
    ['a set fails when the label is absent', 'zone in (a)', web, false],
    ['a complement holds when the label is absent', 'zone notin (a)', web, true],
    ['a complement fails on a member', 'env notin (prod)', web, false],
    ['every term must hold (AND)', 'tier=web,env=dev', web, false],
    ['no labels at all is an empty map', '!tier', undefined, true],
  ])('%s', (_rule, text, labels, expected) => {
    expect(matchesSelector(parsed(text), labels)).toBe(expected);
  });
});
