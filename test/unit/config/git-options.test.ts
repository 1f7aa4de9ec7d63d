/**
 * The git source's options through the real loadConfig: values, defaults, the combinations that are
 * errors (each named), and that no credential appears in a message or in the startup log fields.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/errors.js';
import { describeConfig, loadConfig, type ConfigCommand } from '../../../src/config.js';

const files: Record<string, string> = {
  '/s/token': 'tok-SECRET-1\n',
  '/s/password': 'pw-SECRET-2\n',
  '/s/key': '-----BEGIN OPENSSH PRIVATE KEY-----\nKEY-SECRET-3\n',
  '/s/known_hosts': 'github.com ssh-ed25519 AAAA\n',
  '/s/hook': 'hook-SECRET-4\n',
  '/s/empty': '',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return text;
};
const load = (argv: string[], command: ConfigCommand = 'run', env: Record<string, string> = {}) => loadConfig({ command, argv, env, cwd: '/w', readFile });
const problems = (argv: string[], command: ConfigCommand = 'run'): string[] => {
  try {
    load(argv, command);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  return [];
};

describe('git source options', () => {
  it('defaults: no git source; with --git-url the default branch, the root, 1 m interval, 60 s timeout, no auth', () => {
    expect(load([]).git).toBeUndefined();
    expect(load(['--git-url', 'https://git.example/org/repo.git']).git).toEqual({
      url: 'https://git.example/org/repo.git', ref: undefined, path: '', overlays: [], intervalMs: 60_000, timeoutMs: 60_000, auth: { kind: 'none' },
    });
  });

  it.each([
    [['--git-interval', '10s'], 10_000],
    [['--git-interval', '1m'], 60_000],
    [['--git-interval', '500ms'], 500],
    [['--git-interval', '90'], 90_000],
    [['--git-interval', '1.5h'], 5_400_000],
  ])('reads durations: %j', (argv, ms) => {
    expect(load(['--git-url', 'file:///srv/repo.git', ...argv]).git?.intervalMs).toBe(ms);
  });

  it.each([
    ['https://github.com/org/repo.git'],
    ['http://127.0.0.1:8080/repo.git'],
    ['ssh://git@github.com/org/repo.git'],
    ['git@github.com:org/repo.git'],
    ['git://127.0.0.1:9418/repo'],
    ['file:///srv/git/repo.git'],
  ])('accepts the URL %s', (url) => {
    const argv = ['--git-url', url];
    if (url.startsWith('ssh') || url.startsWith('git@')) argv.push('--git-ssh-key-file', '/s/key', '--git-known-hosts-file', '/s/known_hosts');
    expect(load(argv).git?.url).toBe(url);
  });

  it('reads https basic, bearer and ssh credentials from files only, and never shows them', () => {
    const basic = load(['--git-url', 'https://g.example/r.git', '--git-username', 'git', '--git-password-file', '/s/password']);
    expect(basic.git?.auth).toEqual({ kind: 'basic', username: 'git', password: 'pw-SECRET-2' });
    const bearer = load(['--git-url', 'https://g.example/r.git', '--git-bearer-token-file', '/s/token']);
    expect(bearer.git?.auth).toEqual({ kind: 'bearer', token: 'tok-SECRET-1' });
    const ssh = load(['--git-url', 'git@g.example:r.git', '--git-ssh-key-file', '/s/key', '--git-known-hosts-file', '/s/known_hosts']);
    expect(ssh.git?.auth).toEqual({ kind: 'ssh', keyFile: '/s/key', knownHostsFile: '/s/known_hosts', acceptNewHostKeys: false });
    for (const config of [basic, bearer, ssh]) expect(JSON.stringify(describeConfig(config))).not.toMatch(/SECRET/);
    expect(describeConfig(basic)).toMatchObject({ gitUrl: 'https://g.example/r.git', gitAuth: 'basic', manifests: null });
  });

  it('reads the webhook secrets from their files', () => {
    const config = load(['--git-url', 'https://g.example/r.git', '--webhook-github-secret-file', '/s/hook', '--webhook-generic-secret-file', '/s/token']);
    expect(config.webhooks).toEqual({ github: 'hook-SECRET-4', generic: 'tok-SECRET-1' });
    expect(describeConfig(config)).toMatchObject({ webhooks: 'github,generic' });
  });

  it.each<[string, string[], string]>([
    ['a password in the URL', ['--git-url', 'https://u:pw-SECRET@g.example/r.git'], '--git-url: must not contain a password (use --git-password-file or --git-bearer-token-file), got `https://g.example/r.git`'],
    ['an unknown scheme', ['--git-url', 'ftp://g.example/r.git'], '--git-url: expected a git URL'],
    ['a relative file URL', ['--git-url', 'file://repo.git'], '--git-url: expected an absolute `file:///path` URL'],
    ['--manifests with --git-url', ['--git-url', 'https://g.example/r.git', '--manifests', 'm'], '--manifests and --git-url cannot both be set'],
    ['a git option without --git-url', ['--git-ref', 'main'], '--git-ref: needs --git-url (the git source)'],
    ['a webhook without --git-url', ['--webhook-github-secret-file', '/s/hook'], '--webhook-github-secret-file: needs --git-url'],
    ['an abbreviated commit', ['--git-url', 'https://g.example/r.git', '--git-ref', 'abc1234'], '--git-ref: an abbreviated commit is ambiguous, give all 40 hex digits (got `abc1234`)'],
    ['a ref that git would read as a refspec', ['--git-url', 'https://g.example/r.git', '--git-ref', 'main:refs/heads/x'], '--git-ref: expected a branch, tag or full 40-hex commit'],
    ['a ref that git would read as an option', ['--git-url', 'https://g.example/r.git', '--git-ref=--upload-pack=x'], '--git-ref: expected a branch, tag or full 40-hex commit'],
    ['a path outside the repository', ['--git-url', 'https://g.example/r.git', '--git-path', '../x'], '--git-path: expected a folder inside the repository'],
    ['a bad duration', ['--git-url', 'https://g.example/r.git', '--git-interval', '10 minutes'], '--git-interval: expected a duration > 0'],
    ['a password without a user', ['--git-url', 'https://g.example/r.git', '--git-password-file', '/s/password'], '--git-password-file: needs --git-username too'],
    ['basic and bearer', ['--git-url', 'https://g.example/r.git', '--git-username', 'u', '--git-password-file', '/s/password', '--git-bearer-token-file', '/s/token'], '--git-bearer-token-file and --git-username/--git-password-file cannot both be set'],
    ['an empty token file', ['--git-url', 'https://g.example/r.git', '--git-bearer-token-file', '/s/empty'], '--git-bearer-token-file: file `/s/empty` is empty'],
    ['a missing token file', ['--git-url', 'https://g.example/r.git', '--git-bearer-token-file', '/s/nope'], '--git-bearer-token-file: cannot read `/s/nope` (ENOENT)'],
    ['https credentials on an ssh URL', ['--git-url', 'git@g.example:r.git', '--git-ssh-key-file', '/s/key', '--git-ssh-accept-new', '--git-bearer-token-file', '/s/token'], '--git-bearer-token-file: is for https URLs'],
    ['an ssh URL without a key', ['--git-url', 'ssh://git@g.example/r.git', '--git-known-hosts-file', '/s/known_hosts'], '--git-url: an ssh URL needs --git-ssh-key-file'],
    ['an ssh URL without known hosts', ['--git-url', 'ssh://git@g.example/r.git', '--git-ssh-key-file', '/s/key'], '--git-url: an ssh URL needs --git-known-hosts-file (host keys are checked strictly'],
    ['an ssh key on an https URL', ['--git-url', 'https://g.example/r.git', '--git-ssh-key-file', '/s/key'], '--git-ssh-key-file: is for ssh URLs'],
    ['credentials over git://', ['--git-url', 'git://g.example/r', '--git-bearer-token-file', '/s/token'], '--git-url: credentials are sent over http(s) only'],
  ])('refuses %s, naming it', (_what, argv, expected) => {
    const found = problems(argv);
    expect(found.some((p) => p.startsWith(expected))).toBe(true);
    expect(found.join('\n')).not.toMatch(/SECRET/);
  });

  it('interval and webhooks are run-only; plan takes the URL and the ref', () => {
    expect(problems(['--git-url', 'https://g.example/r.git', '--git-interval', '10s'], 'plan')).toEqual(['--git-interval is not used by plan']);
    expect(load(['--git-url', 'https://g.example/r.git', '--git-ref', 'c'.repeat(40)], 'plan').git?.ref).toBe('c'.repeat(40));
  });

  it('takes every git option from the environment too', () => {
    const config = load([], 'run', { RECONCILER_GIT_URL: 'https://g.example/r.git', RECONCILER_GIT_REF: 'v1.2', RECONCILER_GIT_PATH: 'envs/prod/', RECONCILER_GIT_BEARER_TOKEN_FILE: '/s/token' });
    expect(config.git).toMatchObject({ ref: 'v1.2', path: 'envs/prod', auth: { kind: 'bearer' } });
  });
});
