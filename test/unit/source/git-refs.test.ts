import { describe, expect, test } from '@jest/globals';
import {
  isCommitSha,
  lsRemotePatterns,
  parseLsRemote,
  pickDefaultBranch,
  pickRef,
  pinnedCommit,
  type ResolvedRef,
} from '../../../src/source/git/git-refs.js';

const a = 'a'.repeat(40);
const b = 'b'.repeat(40);
const c = 'c'.repeat(40);

/** ls-remote output from `name oid` pairs. */
const lsRemote = (...pairs: [string, string][]): string => pairs.map(([name, oid]) => `${oid}\t${name}\n`).join('');

describe('pickRef', () => {
  test.each<[string, string, string, ResolvedRef | undefined]>([
    ['a branch', 'main', lsRemote(['refs/heads/main', a]), { kind: 'branch', name: 'main', ref: 'refs/heads/main', commit: a }],
    ['a lightweight tag', 'v1', lsRemote(['refs/tags/v1', a]), { kind: 'tag', name: 'v1', ref: 'refs/tags/v1', commit: a }],
    ['an annotated tag, peeled to its commit', 'v2', lsRemote(['refs/tags/v2', b], ['refs/tags/v2^{}', a]), { kind: 'tag', name: 'v2', ref: 'refs/tags/v2', commit: a }],
    ['a branch over a tag of the same name', 'x', lsRemote(['refs/heads/x', a], ['refs/tags/x', b]), { kind: 'branch', name: 'x', ref: 'refs/heads/x', commit: a }],
    ['a full branch name', 'refs/heads/main', lsRemote(['refs/heads/main', a]), { kind: 'branch', name: 'main', ref: 'refs/heads/main', commit: a }],
    ['a full tag name, peeled', 'refs/tags/v2', lsRemote(['refs/tags/v2', b], ['refs/tags/v2^{}', c]), { kind: 'tag', name: 'v2', ref: 'refs/tags/v2', commit: c }],
    ['another full ref, as a moving ref', 'refs/pull/7/head', lsRemote(['refs/pull/7/head', a]), { kind: 'branch', name: 'refs/pull/7/head', ref: 'refs/pull/7/head', commit: a }],
    ['nothing for a suffix match only (ls-remote patterns match on suffixes)', 'main', lsRemote(['refs/heads/feature/main', a]), undefined],
    ['nothing for a name the remote lacks', 'gone', '', undefined],
  ])('resolves %s', (_what, ref, stdout, expected) => {
    expect(pickRef(ref, parseLsRemote(stdout))).toEqual(expected);
  });
});

describe('pickDefaultBranch', () => {
  test.each<[string, string, ResolvedRef | undefined]>([
    ['HEAD\'s symref target and commit', `ref: refs/heads/trunk\tHEAD\n${a}\tHEAD\n`, { kind: 'branch', name: 'trunk', ref: 'refs/heads/trunk', commit: a }],
    ['nothing for an empty repository', '', undefined],
    ['nothing for a server that does not report the symref', `${a}\tHEAD\n`, undefined],
    ['nothing for an unborn default branch', 'ref: refs/heads/main\tHEAD\n', undefined],
  ])('gives %s', (_what, stdout, expected) => {
    expect(pickDefaultBranch(parseLsRemote(stdout))).toEqual(expected);
  });
});

describe('refs', () => {
  test.each<[string, boolean]>([
    [a, true],
    ['0123456789ABCDEF0123456789abcdef01234567', true],
    ['0123456', false],
    ['main', false],
    [`${a}0`, false],
  ])('isCommitSha(%s) is %s', (ref, expected) => {
    expect(isCommitSha(ref)).toBe(expected);
  });

  test('a pinned commit resolves to itself, lower case', () => {
    expect(pinnedCommit('A'.repeat(40))).toEqual({ kind: 'commit', name: a, ref: a, commit: a });
  });

  test.each<[string, string[]]>([
    ['main', ['refs/heads/main', 'refs/tags/main', 'refs/tags/main^{}']],
    ['refs/tags/v1', ['refs/tags/v1', 'refs/tags/v1^{}']],
  ])('asks ls-remote about %s as %j', (ref, expected) => {
    expect(lsRemotePatterns(ref)).toEqual(expected);
  });
});
