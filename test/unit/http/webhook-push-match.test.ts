/**
 * Whether a verified push is for what the git source follows (src/http/webhooks/push-match.ts), one
 * row per rule, with the exact reason a mismatch gives.
 */
import { describe, expect, test } from '@jest/globals';
import { isSameRef, matchPush, type PushFacts, type PushMatch, type WatchedSource } from '../../../src/http/webhooks/push-match.js';

const ours = 'https://github.com/org/repo.git';
const main: WatchedSource = { url: ours, ref: 'refs/heads/main', pinned: false };
const githubNames = ['https://github.com/org/repo.git', 'git@github.com:org/repo.git', 'https://github.com/org/repo', 'org/repo'];
const facts = (repositories: readonly string[], ref: string | undefined): PushFacts => ({ repositories, ref });
const match: PushMatch = { kind: 'match' };
const mismatch = (reason: string): PushMatch => ({ kind: 'mismatch', reason });

describe('matchPush', () => {
  test.each<[string, PushFacts, WatchedSource, PushMatch]>([
    ['matches a push for our repository and branch', facts(githubNames, 'refs/heads/main'), main, match],
    ['matches when only the ssh URL names our repository', facts(['git@github.com:org/repo.git'], 'refs/heads/main'), main, match],
    ['matches on the full name alone', facts(['org/repo'], 'refs/heads/main'), { ...main, url: 'git@github.internal:org/repo.git' }, match],
    ['refuses another repository, naming both', facts(['https://github.com/org/other.git', 'org/other'], 'refs/heads/main'), main,
      mismatch('push for repository https://github.com/org/other.git but the source is https://github.com/org/repo.git')],
    ['refuses another branch, naming both refs', facts(githubNames, 'refs/heads/dev'), main,
      mismatch('push for ref refs/heads/dev but the source follows refs/heads/main')],
    ['refuses a tag of the branch\'s name', facts(githubNames, 'refs/tags/main'), main,
      mismatch('push for ref refs/tags/main but the source follows refs/heads/main')],
    ['matches a tag push when the source follows that tag', facts(githubNames, 'refs/tags/v1.2.3'), { ...main, ref: 'refs/tags/v1.2.3' }, match],
    ['a short ref stands for its branch', facts([], 'main'), main, match],
    ['a short ref of another branch is refused', facts([], 'dev'), main, mismatch('push for ref dev but the source follows refs/heads/main')],
    ['any ref matches while the watched ref is not known yet', facts(githubNames, 'refs/heads/feature'), { ...main, ref: undefined }, match],
    ['a push for a branch never moves a pinned commit', facts(githubNames, 'refs/heads/main'), { url: ours, ref: undefined, pinned: true },
      mismatch('push for ref refs/heads/main but the source is pinned to a commit (--git-ref): no push can move it')],
    ['the repository is checked before the pin', facts(['org/other'], 'refs/heads/main'), { url: ours, ref: undefined, pinned: true },
      mismatch('push for repository org/other but the source is https://github.com/org/repo.git')],
    ['a push naming no ref is "look now", even when pinned', facts(githubNames, undefined), { url: ours, ref: undefined, pinned: true }, match],
    ['a push naming no repository and no ref is "look now"', facts([], undefined), main, match],
    ['credentials in a payload URL never reach the reason', facts(['https://bot:hunter2@git.example.com/org/repo.git'], 'refs/heads/main'), main,
      mismatch('push for repository https://git.example.com/org/repo.git but the source is https://github.com/org/repo.git')],
    ['a huge name is cut short in the reason', facts([`org/${'r'.repeat(300)}`], undefined), main,
      mismatch(`push for repository org/${'r'.repeat(196)}… but the source is https://github.com/org/repo.git`)],
  ])('%s', (_rule, push, watched, expected) => {
    expect(matchPush(push, watched)).toEqual(expected);
  });
});

describe('isSameRef', () => {
  test.each<[string, string, boolean]>([
    ['refs/heads/main', 'refs/heads/main', true],
    ['main', 'refs/heads/main', true],
    ['refs/tags/v1', 'v1', true],
    ['main', 'main', true],
    ['refs/heads/main', 'refs/tags/main', false],
    ['refs/heads/main', 'refs/heads/main2', false],
    ['dev', 'refs/heads/main', false],
  ])('%s vs %s: %s', (a, b, same) => {
    expect(isSameRef(a, b)).toBe(same);
    expect(isSameRef(b, a)).toBe(same);
  });
});
