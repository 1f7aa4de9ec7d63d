import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { gitAuthEnv, gitAuthSecrets, type GitAuth } from '../../../src/source/git/git-auth.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The words `sh` makes of a GIT_SSH_COMMAND, as git runs it (`sh -c "$GIT_SSH_COMMAND" ...`). */
function shellWords(command: string): string[] {
  return execFileSync('sh', ['-c', `set -- ${command}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).split('\n').slice(0, -1);
}

const ssh = (overrides: Partial<Extract<GitAuth, { kind: 'ssh' }>> = {}): GitAuth => ({
  kind: 'ssh',
  keyFile: '/keys/id_ed25519',
  knownHostsFile: '/keys/known_hosts',
  acceptNewHostKeys: false,
  ...overrides,
});

describe('gitAuthEnv', () => {
  test.each<[string, GitAuth, Record<string, string>]>([
    ['anonymous access sets nothing', { kind: 'none' }, {}],
    [
      'basic credentials become an Authorization header in git config from the environment',
      { kind: 'basic', username: 'deploy', password: 's3cret' },
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${b64('deploy:s3cret')}` },
    ],
    [
      'basic credentials are encoded as UTF-8, colons in the password kept',
      { kind: 'basic', username: 'jöse', password: 'a:b:ü' },
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${b64('jöse:a:b:ü')}` },
    ],
    [
      'a bearer token becomes an Authorization: Bearer header',
      { kind: 'bearer', token: 'tok-123' },
      { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: 'Authorization: Bearer tok-123' },
    ],
    [
      'ssh checks host keys strictly against the given file, with the key only and no prompts',
      ssh(),
      {
        GIT_SSH_COMMAND:
          'ssh -F /dev/null -i /keys/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes ' +
          `-o 'UserKnownHostsFile="/keys/known_hosts"' -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=30`,
      },
    ],
    [
      'ssh accepting new host keys without a file knows no host (and saves none)',
      ssh({ knownHostsFile: undefined, acceptNewHostKeys: true }),
      {
        GIT_SSH_COMMAND:
          'ssh -F /dev/null -i /keys/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new ' +
          `-o 'UserKnownHostsFile="/dev/null"' -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=30`,
      },
    ],
  ])('%s', (_rule, auth, expected) => {
    expect(gitAuthEnv(auth)).toEqual(expected);
  });

  test.each<[string, string, string, string, string]>([
    ['spaces', '/my keys/id key', '/my keys/known hosts', '/my keys/id key', 'UserKnownHostsFile="/my keys/known hosts"'],
    ['single quotes and shell syntax', "/k/it's;$(rm -rf x)`id`", "/k/o'k &|*", "/k/it's;$(rm -rf x)`id`", `UserKnownHostsFile="/k/o'k &|*"`],
    ['% (an ssh token) doubled so ssh reads it literally', '/k/100%/id', '/k/%h', '/k/100%%/id', 'UserKnownHostsFile="/k/%%h"'],
  ])('ssh paths with %s reach ssh as one word each', (_what, keyFile, knownHostsFile, keyWord, knownHostsWord) => {
    const words = shellWords(gitAuthEnv(ssh({ keyFile, knownHostsFile })).GIT_SSH_COMMAND!);
    expect(words.slice(0, 5)).toEqual(['ssh', '-F', '/dev/null', '-i', keyWord]);
    expect(words).toContain(knownHostsWord);
    expect(words).toHaveLength(17);
  });

  test.each<[string, GitAuth]>([
    ['a key file', ssh({ keyFile: '/k/"id"' })],
    ['a known_hosts file', ssh({ knownHostsFile: '/k/known\nhosts' })],
  ])('refuses a double quote or line break in %s: ssh cannot read it', (_what, auth) => {
    expect(() => gitAuthEnv(auth)).toThrow(RangeError);
  });
});

describe('gitAuthSecrets', () => {
  test.each<[string, GitAuth, string[]]>([
    ['none has no secret', { kind: 'none' }, []],
    ['basic: the encoded credentials and the password', { kind: 'basic', username: 'u', password: 'pw' }, [b64('u:pw'), 'pw']],
    ['basic with an empty password: only the encoded credentials', { kind: 'basic', username: 'u', password: '' }, [b64('u:')]],
    ['bearer: the token', { kind: 'bearer', token: 'tok' }, ['tok']],
    ['ssh: none (a key file path is not a secret)', ssh(), []],
  ])('%s', (_rule, auth, expected) => {
    expect(gitAuthSecrets(auth)).toEqual(expected);
  });
});
