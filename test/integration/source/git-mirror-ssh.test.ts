/**
 * GitMirror over ssh against a real sshd: host keys are checked (strictly, or accept-new), keys
 * authenticate, and each refusal gets its reason. Without OpenSSH's server installed the tests are
 * skipped, and the run says so (a console warning and jest's "skipped" count), never silently green.
 */
import { afterAll, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/errors.js';
import type { GitAuth } from '../../../src/source/git/git-auth.js';
import { GitMirror } from '../../../src/source/git/git-mirror.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { startSshGitServer, type SshGitServer } from '../../helpers/git-server.js';
import { createBareRepo, WorkClone } from '../../helpers/git-work.js';

const root = await mkdtemp(join(tmpdir(), 'git-ssh-'));
const remotes = join(root, 'remotes');
const started = await startSshGitServer({ root: remotes });
const server: SshGitServer | undefined = 'unavailable' in started ? undefined : started;
const sshTest = server === undefined ? test.skip : test;
if ('unavailable' in started) {
  console.warn(`ssh git tests skipped: ${started.unavailable}`);
  await rm(root, { recursive: true, force: true }); // jest runs no afterAll in a file whose tests are all skipped
} else {
  const work = await WorkClone.create(await createBareRepo(remotes, 'manifests.git'), join(root, 'work'));
  await work.write({ 'web.yaml': 'web: 1\n' });
  await work.commit('add web');
  await work.push();
}

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

let mirrors = 0;
function mirrorOf(auth: Partial<Extract<GitAuth, { kind: 'ssh' }>>, repo = 'manifests.git'): GitMirror {
  const ssh: GitAuth = { kind: 'ssh', keyFile: server!.clientKeyFile, knownHostsFile: server!.knownHostsFile, acceptNewHostKeys: false, ...auth };
  mirrors += 1;
  return new GitMirror({ url: server!.url(repo), auth: ssh, dir: join(root, `state-${mirrors}`), timeoutMs: 30_000, log: captureLogger().log });
}

async function gitError(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GitError)) throw new Error(`expected a GitError, got ${String(error)}`);
  return error;
}

sshTest('fetches over ssh when known_hosts has the server key', async () => {
  const mirror = mirrorOf({});
  const resolved = await mirror.resolve(undefined);
  await mirror.fetch(resolved);
  expect(await readFile(join(await mirror.checkout(resolved.commit), 'web.yaml'), 'utf8')).toBe('web: 1\n');
});

sshTest('accepts an unknown host key with accept-new, even with no known_hosts file', async () => {
  await expect(mirrorOf({ knownHostsFile: undefined, acceptNewHostKeys: true }).resolve('main')).resolves.toMatchObject({ kind: 'branch' });
});

sshTest.each<[string, Partial<Extract<GitAuth, { kind: 'ssh' }>>]>([
  ['a changed host key under strict checking', { knownHostsFile: server?.wrongKnownHostsFile }],
  ['a changed host key with accept-new (only new keys are accepted)', { knownHostsFile: server?.wrongKnownHostsFile, acceptNewHostKeys: true }],
  ['an unknown host under strict checking', { knownHostsFile: undefined }],
])('%s is host-key', async (_what, auth) => {
  const error = await gitError(mirrorOf(auth).resolve('main'));
  expect(error.reason).toBe('host-key');
  expect(error.message).toMatch(/^git ls-remote ssh:\/\/127\.0\.0\.1:\d+\/.*manifests\.git: /);
});

sshTest('a key the server does not authorise is auth', async () => {
  const error = await gitError(mirrorOf({ keyFile: server?.unauthorizedKeyFile }).resolve('main'));
  expect(error.reason).toBe('auth');
  expect(error.message).toContain('Permission denied (publickey)');
});

sshTest('a path the server does not have is not-found', async () => {
  expect((await gitError(mirrorOf({}, 'missing.git').resolve('main'))).reason).toBe('not-found');
});
