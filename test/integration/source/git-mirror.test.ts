/**
 * GitMirror against real repositories over file://: resolving refs, shallow fetches, atomic checkouts
 * and their clean-up, commit facts, and recovery from a damaged local clone. Other transports and
 * their failures: git-mirror-http.test.ts, git-mirror-ssh.test.ts; big history: git-mirror-shallow.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/errors.js';
import { GitMirror } from '../../../src/source/git/git-mirror.js';
import { captureLogger, type LogSink } from '../../helpers/log-sink.js';
import { createBareRepo, git, WorkClone } from '../../helpers/git-work.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-mirror-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

type Fixture = { bare: string; work: WorkClone; mirror: GitMirror; dir: string; url: string; sink: LogSink };

async function fixture(options: { defaultBranch?: string } = {}): Promise<Fixture> {
  const bare = await createBareRepo(join(root, 'remote'), 'manifests.git', options);
  const work = await WorkClone.create(bare, join(root, 'work'), { branch: options.defaultBranch });
  const { log, sink } = captureLogger();
  const dir = join(root, 'state', 'git');
  const url = `file://${bare}`;
  return { bare, work, dir, url, sink, mirror: new GitMirror({ url, auth: { kind: 'none' }, dir, timeoutMs: 30_000, log }) };
}

async function commitAndPush(work: WorkClone, files: Record<string, string>, message = 'change'): Promise<string> {
  await work.write(files);
  const sha = await work.commit(message);
  await work.push();
  return sha;
}

async function gitError(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GitError)) throw new Error(`expected a GitError, got ${String(error)}`);
  return error;
}

describe('resolve', () => {
  test('resolves the remote default branch through its HEAD symref', async () => {
    const { work, mirror } = await fixture({ defaultBranch: 'trunk' });
    const sha = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await expect(mirror.resolve(undefined)).resolves.toEqual({ kind: 'branch', name: 'trunk', ref: 'refs/heads/trunk', commit: sha });
  });

  test('resolves branches, lightweight tags and annotated tags (peeled to their commit)', async () => {
    const { work, mirror } = await fixture();
    const first = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await work.tag('v1');
    const second = await commitAndPush(work, { 'a.yaml': 'a: 2\n' });
    await work.tag('v2', { annotated: true });
    await expect(mirror.resolve('main')).resolves.toEqual({ kind: 'branch', name: 'main', ref: 'refs/heads/main', commit: second });
    await expect(mirror.resolve('v1')).resolves.toEqual({ kind: 'tag', name: 'v1', ref: 'refs/tags/v1', commit: first });
    await expect(mirror.resolve('v2')).resolves.toEqual({ kind: 'tag', name: 'v2', ref: 'refs/tags/v2', commit: second });
    await expect(mirror.resolve('refs/tags/v2')).resolves.toEqual({ kind: 'tag', name: 'v2', ref: 'refs/tags/v2', commit: second });
    for (const [tag, content] of [['v1', 'a: 1\n'], ['v2', 'a: 2\n']] as const) {
      const resolved = await mirror.resolve(tag);
      await mirror.fetch(resolved);
      expect(await readFile(join(await mirror.checkout(resolved.commit), 'a.yaml'), 'utf8')).toBe(content);
    }
  });

  test('resolves a pinned commit without asking the remote', async () => {
    const { log } = captureLogger();
    const mirror = new GitMirror({ url: `file://${root}/nowhere.git`, auth: { kind: 'none' }, dir: join(root, 'git'), timeoutMs: 30_000, log });
    const sha = 'ABCDEF0123456789abcdef0123456789abcdef01';
    await expect(mirror.resolve(sha)).resolves.toEqual({ kind: 'commit', name: sha.toLowerCase(), ref: sha.toLowerCase(), commit: sha.toLowerCase() });
  });

  test('a deleted branch is ref-not-found, naming the ref and the url', async () => {
    const { work, mirror, url } = await fixture();
    await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await work.push({ branch: 'feature' });
    await expect(mirror.resolve('feature')).resolves.toMatchObject({ kind: 'branch' });
    await work.deleteRemoteBranch('feature');
    const error = await gitError(mirror.resolve('feature'));
    expect(error.reason).toBe('ref-not-found');
    expect(error.message).toContain('"feature"');
    expect(error.message).toContain(url);
  });

  test('an empty repository has no default branch: ref-not-found', async () => {
    const { mirror } = await fixture();
    expect((await gitError(mirror.resolve(undefined))).reason).toBe('ref-not-found');
  });

  test('a repository that does not exist is not-found', async () => {
    const { log } = captureLogger();
    const mirror = new GitMirror({ url: `file://${root}/missing.git`, auth: { kind: 'none' }, dir: join(root, 'git'), timeoutMs: 30_000, log });
    const error = await gitError(mirror.resolve('main'));
    expect(error.reason).toBe('not-found');
    expect(error.message).toBe(`git ls-remote file://${root}/missing.git: '${root}/missing.git' does not appear to be a git repository`);
  });
});

describe('fetch and checkout', () => {
  test('publishes the commit tree as trees/<commit> and points current at it', async () => {
    const { work, mirror, dir } = await fixture();
    const sha = await commitAndPush(work, { 'web.yaml': 'web: 1\n', 'apps/db/db.yaml': 'db: 1\n' }, 'add web and db');
    const resolved = await mirror.resolve('main');
    await mirror.fetch(resolved);
    const tree = await mirror.checkout(sha);
    expect(tree).toBe(join(dir, 'trees', sha));
    expect(await readFile(join(tree, 'apps/db/db.yaml'), 'utf8')).toBe('db: 1\n');
    expect((await readdir(tree)).sort()).toEqual(['apps', 'web.yaml']);
    expect(await readlink(join(dir, 'current'))).toBe(join('trees', sha));
    expect(await readFile(join(dir, 'current', 'web.yaml'), 'utf8')).toBe('web: 1\n');
  });

  test('reports the commit author, subject and ISO-8601 committer date', async () => {
    const { work, mirror } = await fixture();
    const sha = await commitAndPush(work, { 'a.yaml': 'a: 1\n' }, 'deploy web 1.2');
    await mirror.fetch(await mirror.resolve('main'));
    const info = await mirror.commitInfo(sha);
    expect(info).toEqual({ commit: sha, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/), author: 'Test Author <author@example.test>', subject: 'deploy web 1.2' });
    expect(Math.abs(Date.parse(info.time) - Date.now())).toBeLessThan(3_600_000);
    expect((await gitError(mirror.commitInfo('f'.repeat(40)))).reason).toBe('failed');
  });

  test('keeps only the new tree and the one it replaced, and removes leftovers of a killed run', async () => {
    const { work, mirror, dir } = await fixture();
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      shas.push(await commitAndPush(work, { 'a.yaml': `a: ${n}\n` }));
      await mirror.fetch(await mirror.resolve('main'));
      if (n === 3) await mkdir(join(dir, 'trees', `.tmp-${shas[2]}-left-by-a-killed-run`));
      await mirror.checkout(shas.at(-1)!);
    }
    expect((await readdir(join(dir, 'trees'))).sort()).toEqual([shas[1], shas[2]].sort());
    expect(await readlink(join(dir, 'current'))).toBe(join('trees', shas[2]!));
  });

  test('a reader of current sees the old tree or the new one, never a part of either', async () => {
    const { work, mirror, dir } = await fixture();
    const files = (prefix: string): Record<string, string> => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`${prefix}/f${i}.yaml`, `n: ${i}\n`]));
    const first = await commitAndPush(work, files('old'));
    await mirror.fetch(await mirror.resolve('main'));
    await mirror.checkout(first);
    await work.remove('old');
    const second = await commitAndPush(work, files('new'));
    await mirror.fetch(await mirror.resolve('main'));
    let done = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!done) {
        // a reader resolves the link once, then reads inside that tree (which stays while it is the previous one)
        const tree = await realpath(join(dir, 'current'));
        const [top = ''] = await readdir(tree);
        const count = (await readdir(join(tree, top))).length;
        seen.add(`${top}:${count}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await mirror.checkout(second).finally(() => { done = true; });
    await reader;
    expect([...seen].every((s) => s === 'old:300' || s === 'new:300')).toBe(true);
    expect(seen.has('old:300')).toBe(true);
  });

  test('checking out the current commit again changes nothing', async () => {
    const { work, mirror, dir } = await fixture();
    const first = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await mirror.fetch(await mirror.resolve('main'));
    await mirror.checkout(first);
    const second = await commitAndPush(work, { 'a.yaml': 'a: 2\n' });
    await mirror.fetch(await mirror.resolve('main'));
    const tree = await mirror.checkout(second);
    await writeFile(join(tree, 'marker'), 'same folder');
    expect(await mirror.checkout(second)).toBe(tree);
    expect(await readFile(join(dir, 'current', 'marker'), 'utf8')).toBe('same folder');
    expect((await readdir(join(dir, 'trees'))).sort()).toEqual([first, second].sort());
  });

  test('does not ask the remote again for a commit it has', async () => {
    const { work, mirror, bare } = await fixture();
    await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    const resolved = await mirror.resolve('main');
    await mirror.fetch(resolved);
    await rename(bare, `${bare}.away`);
    await expect(mirror.fetch(resolved)).resolves.toBeUndefined();
  });

  test('fetches a pinned commit that is no branch tip', async () => {
    const { work, mirror } = await fixture();
    const first = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await commitAndPush(work, { 'a.yaml': 'a: 2\n' });
    await mirror.fetch(await mirror.resolve(first));
    expect(await readFile(join(await mirror.checkout(first), 'a.yaml'), 'utf8')).toBe('a: 1\n');
  });

  test('fetches the resolved commit by sha when the branch moved after resolve', async () => {
    const { work, mirror } = await fixture();
    const first = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    const resolved = await mirror.resolve('main');
    await commitAndPush(work, { 'a.yaml': 'a: 2\n' });
    await mirror.fetch(resolved);
    expect(await readFile(join(await mirror.checkout(first), 'a.yaml'), 'utf8')).toBe('a: 1\n');
  });

  test('a resolved commit force-pushed away and pruned is ref-not-found', async () => {
    const { work, mirror, bare } = await fixture();
    const first = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    await commitAndPush(work, { 'a.yaml': 'a: 2\n' });
    const resolved = await mirror.resolve('main');
    await work.resetHard(first);
    await work.push({ force: true });
    await git(bare, ['gc', '--quiet', '--prune=now']);
    expect((await gitError(mirror.fetch(resolved))).reason).toBe('ref-not-found');
  });

  test('a pinned commit the remote never had is ref-not-found', async () => {
    const { work, mirror } = await fixture();
    await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    expect((await gitError(mirror.fetch(await mirror.resolve('e'.repeat(40))))).reason).toBe('ref-not-found');
  });
});

describe('a damaged local clone', () => {
  test.each<[string, (gitDir: string) => Promise<void>]>([
    ['garbage in HEAD', (gitDir) => writeFile(join(gitDir, 'HEAD'), 'garbage\n')],
    ['truncated object files', async (gitDir) => {
      const files = await readdir(join(gitDir, 'objects'), { recursive: true, withFileTypes: true });
      await Promise.all(files.filter((f) => f.isFile()).map((f) => writeFile(join(f.parentPath, f.name), '')));
    }],
    ['no objects folder', (gitDir) => rm(join(gitDir, 'objects'), { recursive: true })],
  ])('is re-cloned once, with a warning, after %s', async (_damage, damage) => {
    const { work, mirror, dir, sink } = await fixture();
    const sha = await commitAndPush(work, { 'a.yaml': 'a: 1\n' });
    const resolved = await mirror.resolve('main');
    await mirror.fetch(resolved);
    await damage(join(dir, 'repo.git'));
    await mirror.fetch(resolved);
    expect(await readFile(join(await mirror.checkout(sha), 'a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(sink.lines.filter((l) => l.msg === 'local git clone corrupt, re-cloning')).toEqual([expect.objectContaining({ level: 'warn', dir })]);
  });
});
