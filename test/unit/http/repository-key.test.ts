/**
 * Repository identity for webhook matching (src/http/webhooks/repository-key.ts): every transport of
 * one repository gives one key; local repositories match only their identical path.
 */
import { describe, expect, test } from '@jest/globals';
import { isSameRepository, repositoryKey } from '../../../src/http/webhooks/repository-key.js';

describe('repositoryKey', () => {
  test.each<[string, string, string | undefined]>([
    ['an https URL is host/path', 'https://github.com/org/repo', 'github.com/org/repo'],
    ['a trailing .git goes', 'https://github.com/org/repo.git', 'github.com/org/repo'],
    ['a trailing slash goes', 'https://github.com/org/repo/', 'github.com/org/repo'],
    ['a trailing .git/ goes', 'https://github.com/org/repo.git/', 'github.com/org/repo'],
    ['http is the same as https', 'http://github.com/org/repo', 'github.com/org/repo'],
    ['the host is lower-cased', 'https://GitHub.COM/org/repo', 'github.com/org/repo'],
    ['the path is lower-cased (the forges resolve it case-insensitively)', 'https://github.com/Org/Repo', 'github.com/org/repo'],
    ['userinfo is dropped', 'https://user:pw@github.com/org/repo', 'github.com/org/repo'],
    ['the default https port is dropped', 'https://github.com:443/org/repo', 'github.com/org/repo'],
    ['the default http port is dropped', 'http://git.example.com:80/org/repo', 'git.example.com/org/repo'],
    ['another port is kept', 'https://git.example.com:8443/org/repo', 'git.example.com:8443/org/repo'],
    ['an ssh URL drops the user', 'ssh://git@github.com/org/repo.git', 'github.com/org/repo'],
    ['an ssh URL drops port 22 and lower-cases its host (WHATWG keeps both for ssh:)', 'ssh://git@GitHub.com:22/org/repo', 'github.com/org/repo'],
    ['an ssh URL keeps another port', 'ssh://git@gitlab.example.com:2222/org/repo.git', 'gitlab.example.com:2222/org/repo'],
    ['git+ssh is ssh', 'git+ssh://git@github.com/org/repo.git', 'github.com/org/repo'],
    ['a git:// URL drops port 9418', 'git://github.com:9418/org/repo.git', 'github.com/org/repo'],
    ['scp-like is host:path', 'git@github.com:org/repo.git', 'github.com/org/repo'],
    ['scp-like without a user', 'github.com:org/repo', 'github.com/org/repo'],
    ['scp-like with an absolute path', 'git@git.example.com:/srv/org/repo.git', 'git.example.com/srv/org/repo'],
    ['nested groups keep every segment', 'https://gitlab.com/group/sub/repo.git', 'gitlab.com/group/sub/repo'],
    ['duplicate slashes collapse', 'https://github.com//org//repo', 'github.com/org/repo'],
    ['percent escapes are decoded', 'https://git.example.com/org/my%20repo', 'git.example.com/org/my repo'],
    ['surrounding spaces are ignored', '  https://github.com/org/repo  ', 'github.com/org/repo'],
    ['a file URL keeps its path exactly', 'file:///srv/git/Repo.git', 'file:///srv/git/Repo.git'],
    ['an absolute path is a file URL', '/srv/git/Repo.git', 'file:///srv/git/Repo.git'],
    ['a host without a path is no repository', 'https://github.com/', undefined],
    ['a full name is no URL', 'org/repo', undefined],
    ['an unknown scheme is no git URL', 'ftp://example.com/org/repo', undefined],
    ['an empty string is nothing', '', undefined],
  ])('%s: %s', (_rule, url, key) => {
    expect(repositoryKey(url)).toBe(key);
  });
});

describe('isSameRepository', () => {
  test.each<[string, string, string, boolean]>([
    ['ssh with port 22 is https', 'ssh://git@github.com:22/org/repo', 'https://github.com/org/repo', true],
    ['scp-like is https', 'git@github.com:org/repo.git', 'https://github.com/org/repo', true],
    ['html_url is clone_url', 'https://github.com/org/repo', 'https://github.com/org/repo.git', true],
    ['git:// is ssh', 'git://github.com/org/repo.git', 'ssh://git@github.com/org/repo.git', true],
    ['another repository of the same org', 'https://github.com/org/other', 'https://github.com/org/repo', false],
    ['the same path on another host', 'https://gitlab.com/org/repo', 'https://github.com/org/repo', false],
    ['another port is another remote', 'https://git.example.com:8443/org/repo', 'https://git.example.com/org/repo', false],
    ['a full name matches the path whatever the host', 'org/repo', 'git@github.example.com:org/repo.git', true],
    ['a full name matches case-insensitively', 'Org/Repo', 'https://github.com/org/repo', true],
    ['a nested full name matches', 'group/sub/repo', 'https://gitlab.com/group/sub/repo.git', true],
    ['a full name of another repository', 'org/other', 'https://github.com/org/repo', false],
    ['a partial full name does not match', 'repo', 'https://github.com/org/repo', false],
    ['a full name never matches a local repository', 'srv/repo', 'file:///srv/repo', false],
    ['a file URL matches the identical path', 'file:///srv/git/repo.git', '/srv/git/repo.git', true],
    ['a file URL does not match without .git', 'file:///srv/git/repo', 'file:///srv/git/repo.git', false],
    ['nothing matches an unparsable source url', 'https://github.com/org/repo', 'not a url', false],
  ])('%s: %s vs %s', (_rule, theirs, ours, same) => {
    expect(isSameRepository(theirs, ours)).toBe(same);
  });
});
