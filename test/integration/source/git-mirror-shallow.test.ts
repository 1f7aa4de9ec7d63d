/**
 * The mirror fetches shallowly: a repository with ~50 MB of history (40 commits, each replacing a
 * 1.3 MB file of random bytes, which no compression or delta can shrink) costs the mirror one commit.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitMirror } from '../../../src/source/git/git-mirror.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { createBareRepo, git, WorkClone } from '../../helpers/git-work.js';

const commits = 40;
const blobBytes = 1.3 * 1024 * 1024;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-shallow-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('fetches one commit of a long, large history: one commit locally, a fraction of the bytes', async () => {
  const bare = await createBareRepo(root, 'big.git');
  const work = await WorkClone.create(bare, join(root, 'work'));
  let last = new Uint8Array();
  for (let i = 0; i < commits; i += 1) {
    last = randomBytes(blobBytes);
    await work.write({ 'blob.bin': last, 'app.yaml': `revision: ${i}\n` });
    await work.commit(`revision ${i}`);
  }
  await work.push();
  const sourceBytes = await folderBytes(join(bare, 'objects'));
  expect(sourceBytes).toBeGreaterThan(commits * blobBytes * 0.95);

  const dir = join(root, 'state', 'git');
  const mirror = new GitMirror({ url: `file://${bare}`, auth: { kind: 'none' }, dir, timeoutMs: 120_000, log: captureLogger().log });
  const resolved = await mirror.resolve(undefined);
  await mirror.fetch(resolved);
  const tree = await mirror.checkout(resolved.commit);

  expect(await git(root, ['--git-dir', join(dir, 'repo.git'), 'rev-list', '--count', resolved.commit])).toBe('1');
  expect(await git(root, ['--git-dir', join(dir, 'repo.git'), 'rev-list', '--count', '--all'])).toBe('1');
  const localBytes = await folderBytes(join(dir, 'repo.git', 'objects'));
  expect(localBytes).toBeLessThan(sourceBytes / 10);
  expect(sha256(await readFile(join(tree, 'blob.bin')))).toBe(sha256(last));
  expect(await readFile(join(tree, 'app.yaml'), 'utf8')).toBe(`revision: ${commits - 1}\n`);
}, 180_000);
