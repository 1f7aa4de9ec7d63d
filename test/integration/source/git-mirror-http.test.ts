/**
 * GitMirror over the network: smart HTTP (`git http-backend` behind Basic/Bearer checks) and git
 * daemon. Credentials work and never show in a message; each way of failing gets its reason; a stalled
 * server is cut off by the timeout or an abort, and git's whole process group goes with it.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/errors.js';
import type { GitAuth } from '../../../src/source/git/git-auth.js';
import { GitMirror } from '../../../src/source/git/git-mirror.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { startGitDaemon, startHttpGitServer, type HttpGitAuth, type HttpGitServer } from '../../helpers/git-server.js';
import { createBareRepo, git, WorkClone } from '../../helpers/git-work.js';
import { processesMatching, waitUntil } from '../../helpers/git-processes.js';

let root: string;
let remotes: string;
let sha: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-http-'));
  remotes = join(root, 'remotes');
  const work = await WorkClone.create(await createBareRepo(remotes, 'manifests.git'), join(root, 'work'));
  await work.write({ 'web.yaml': 'web: 1\n' });
  sha = await work.commit('add web');
  await work.push();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

async function httpServer(auth?: HttpGitAuth): Promise<HttpGitServer> {
  const server = await startHttpGitServer({ root: remotes, auth });
  cleanups.push(() => server.stop());
  return server;
}

function mirrorOf(url: string, auth: GitAuth = { kind: 'none' }, timeoutMs = 30_000): GitMirror {
  return new GitMirror({ url, auth, dir: join(root, 'state', 'git'), timeoutMs, log: captureLogger().log });
}

async function gitError(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GitError)) throw new Error(`expected a GitError, got ${String(error)}`);
  return error;
}

async function fetchAndRead(mirror: GitMirror, ref: string | undefined): Promise<string> {
  const resolved = await mirror.resolve(ref);
  await mirror.fetch(resolved);
  return readFile(join(await mirror.checkout(resolved.commit), 'web.yaml'), 'utf8');
}

const basic = { kind: 'basic', username: 'deploy', password: 'pa55-w0rd' } as const;
const bearer = { kind: 'bearer', token: 'tok-9f8e7d6c' } as const;

describe('smart HTTP', () => {
  test.each<[string, HttpGitAuth, GitAuth]>([
    ['anonymously', undefined, { kind: 'none' }],
    ['with basic credentials', basic, basic],
    ['with a bearer token', bearer, bearer],
  ])('resolves, fetches and checks out %s', async (_how, serverAuth, auth) => {
    const server = await httpServer(serverAuth);
    expect(await fetchAndRead(mirrorOf(server.url('manifests.git'), auth), undefined)).toBe('web: 1\n');
    expect(server.requests()).toBeGreaterThan(0);
  });

  test.each<[string, HttpGitAuth, GitAuth, string[]]>([
    ['no credentials', basic, { kind: 'none' }, []],
    ['a wrong password', basic, { ...basic, password: 'wrong-pass' }, ['wrong-pass', Buffer.from('deploy:wrong-pass').toString('base64')]],
    ['a wrong token', bearer, { kind: 'bearer', token: 'tok-wrong-123' }, ['tok-wrong-123']],
    ['basic credentials where a token is expected', bearer, basic, [basic.password, Buffer.from('deploy:pa55-w0rd').toString('base64')]],
  ])('%s is auth, and no secret is in the message (ls-remote and fetch)', async (_how, serverAuth, auth, secrets) => {
    const server = await httpServer(serverAuth);
    const mirror = mirrorOf(server.url('manifests.git'), auth);
    for (const error of [await gitError(mirror.resolve('main')), await gitError(mirror.fetch(await mirror.resolve(sha)))]) {
      expect(error.reason).toBe('auth');
      expect(error.message).toMatch(new RegExp(`^git (ls-remote|fetch) ${server.baseUrl}/manifests.git: `));
      for (const secret of [...secrets, 'Authorization']) expect(error.message).not.toContain(secret);
    }
  });

  test('credentials rotated on the server fail until the mirror has the new ones', async () => {
    const server = await httpServer(bearer);
    expect(await fetchAndRead(mirrorOf(server.url('manifests.git'), bearer), 'main')).toBe('web: 1\n');
    server.setAuth({ kind: 'bearer', token: 'tok-rotated' });
    expect((await gitError(mirrorOf(server.url('manifests.git'), bearer).resolve('main'))).reason).toBe('auth');
    await expect(mirrorOf(server.url('manifests.git'), { kind: 'bearer', token: 'tok-rotated' }).resolve('main')).resolves.toMatchObject({ commit: sha });
  });

  test('a repository the server does not have is not-found', async () => {
    const server = await httpServer();
    const error = await gitError(mirrorOf(server.url('missing.git')).resolve('main'));
    expect(error.reason).toBe('not-found');
    expect(error.message).toBe(`git ls-remote ${server.url('missing.git')}: repository '${server.url('missing.git')}/' not found`);
  });

  test('a stopped server is unreachable', async () => {
    const server = await startHttpGitServer({ root: remotes });
    await server.stop();
    expect((await gitError(mirrorOf(server.url('manifests.git')).resolve('main'))).reason).toBe('unreachable');
  });

  test('serves requests git sends gzip-encoded (bodies over 1 KiB)', async () => {
    const work = await WorkClone.create(join(remotes, 'manifests.git'), join(root, 'work2'));
    await git(work.dir, ['fetch', '--quiet', 'origin', 'main']);
    await work.resetHard('FETCH_HEAD');
    for (let i = 0; i < 60; i += 1) await work.push({ branch: `release/branch-with-a-long-name-${i}` });
    const server = await httpServer();
    await git(root, ['clone', '--quiet', '--bare', server.url('manifests.git'), join(root, 'clone.git')]);
    expect((await git(join(root, 'clone.git'), ['branch', '--list'])).split('\n')).toHaveLength(61);
  });
});

describe('a pinned commit that is no branch tip (protocol v2 serves any commit by sha)', () => {
  test.each<[string, () => Promise<{ url(repo: string): string; stop(): Promise<void> }>]>([
    ['smart HTTP', () => startHttpGitServer({ root: remotes })],
    ['git daemon', () => startGitDaemon({ root: remotes })],
  ])('is fetched over %s', async (_transport, start) => {
    const work = await WorkClone.create(join(remotes, 'manifests.git'), join(root, 'work2'));
    await git(work.dir, ['fetch', '--quiet', 'origin', 'main']);
    await work.resetHard('FETCH_HEAD');
    await work.write({ 'web.yaml': 'web: 2\n' });
    await work.commit('web 2');
    await work.push();
    const server = await start();
    cleanups.push(() => server.stop());
    expect(await fetchAndRead(mirrorOf(server.url('manifests.git')), sha)).toBe('web: 1\n');
  });
});

describe('a stalled HTTP server', () => {
  test.each<[string, (mirror: GitMirror) => Promise<unknown>]>([
    ['ls-remote', (mirror) => mirror.resolve('main')],
    ['fetch', async (mirror) => mirror.fetch(await mirror.resolve(sha))],
  ])('is cut off by the timeout (%s), with every git process of the run gone', async (_what, run) => {
    const server = await httpServer();
    server.setStall(600_000);
    const error = await gitError(run(mirrorOf(server.url('manifests.git'), { kind: 'none' }, 1_500)));
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('timed out after 1500 ms');
    await waitUntil('no git process left for the server', async () => (await processesMatching(server.baseUrl)).length === 0);
  });

  test('is cut off by an abort, with every git process of the run gone', async () => {
    const server = await httpServer();
    server.setStall(600_000);
    const abort = new AbortController();
    const pending = gitError(mirrorOf(server.url('manifests.git')).resolve('main', abort.signal));
    await waitUntil('the request reached the server', () => server.requests() > 0);
    expect((await processesMatching(server.baseUrl)).length).toBeGreaterThan(0);
    abort.abort();
    expect((await pending).reason).toBe('aborted');
    await waitUntil('no git process left for the server', async () => (await processesMatching(server.baseUrl)).length === 0);
  });
});

describe('git daemon', () => {
  test('resolves, fetches and checks out over git://', async () => {
    const daemon = await startGitDaemon({ root: remotes });
    cleanups.push(() => daemon.stop());
    expect(await fetchAndRead(mirrorOf(daemon.url('manifests.git')), undefined)).toBe('web: 1\n');
  });

  test('a repository the daemon does not have is not-found', async () => {
    const daemon = await startGitDaemon({ root: remotes });
    cleanups.push(() => daemon.stop());
    expect((await gitError(mirrorOf(daemon.url('missing.git')).resolve('main'))).reason).toBe('not-found');
  });

  test('a stopped daemon is unreachable', async () => {
    const daemon = await startGitDaemon({ root: remotes });
    await daemon.stop();
    expect((await gitError(mirrorOf(daemon.url('manifests.git')).resolve('main'))).reason).toBe('unreachable');
  });
});
