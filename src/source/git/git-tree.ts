/**
 * The checked-out trees of the git source: `<dir>/trees/<commit>` folders and the `<dir>/current`
 * link, the same layout git-sync publishes (its `.worktrees/<sha>` and `current`), so the manifest side
 * reads a git source's tree as it reads a git-sync checkout. Readers only ever see complete trees: a
 * tree is written beside its final name and renamed into place, and the link is swapped by renaming a
 * new link over it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { coerceError } from '../../errors.js';

/** Runs a git command against the mirror's bare repository with extra environment (GIT_INDEX_FILE...). */
export type TreeGit = (args: readonly string[], env: Readonly<Record<string, string>>) => Promise<unknown>;

/**
 * Makes `<dir>/trees/<commit>` hold the commit's files (reused when it exists: only complete trees ever
 * get that name), points `<dir>/current` at it, and removes every other tree but the one `current`
 * pointed at before; when `current` points at the commit already, nothing changes. Returns the tree's
 * absolute path. Calls for one `dir` must not overlap (GitMirror runs them one at a time): the clean-up
 * removes the temporary folders of any other call.
 */
export async function checkoutTree(dir: string, commit: string, git: TreeGit): Promise<string> {
  const trees = join(dir, 'trees');
  const tree = join(trees, commit);
  await mkdir(trees, { recursive: true });
  if (await isDirectory(tree)) {
    if (await currentCommit(dir) === commit) return tree;
  } else {
    await writeTree(trees, commit, git);
  }
  const previous = await swapCurrent(dir, commit);
  await removeOtherTrees(trees, new Set([commit, previous].filter((name) => name !== undefined)));
  return tree;
}

/** Writes the commit's tree into a temporary folder through a temporary index, then renames it into place. */
async function writeTree(trees: string, commit: string, git: TreeGit): Promise<void> {
  const temp = await mkdtemp(join(trees, `.tmp-${commit}-`));
  // the index lives beside the folder, not in it, so it is not part of the tree
  const env = { GIT_INDEX_FILE: `${temp}.index`, GIT_WORK_TREE: temp };
  try {
    await git(['read-tree', commit], env);
    await git(['checkout-index', '--all', '--force'], env);
    await rename(temp, join(trees, commit));
  } finally {
    await rm(temp, { recursive: true, force: true });
    await rm(env.GIT_INDEX_FILE, { force: true });
  }
}

/** The commit `<dir>/current` points at, undefined before the first checkout. */
async function currentCommit(dir: string): Promise<string | undefined> {
  return readlink(join(dir, 'current')).then(
    (target) => basename(target),
    (error: unknown) => {
      if (isCode(error, 'ENOENT')) return undefined; // the first checkout: there is no link yet
      throw coerceError(error);
    },
  );
}

/** Points `<dir>/current` at `trees/<commit>` (relative, so the state dir can move); returns the commit it pointed at before. */
async function swapCurrent(dir: string, commit: string): Promise<string | undefined> {
  const previous = await currentCommit(dir);
  const temp = join(dir, `.current-${randomBytes(6).toString('hex')}`);
  await symlink(join('trees', commit), temp);
  try {
    await rename(temp, join(dir, 'current'));
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw coerceError(error);
  }
  return previous;
}

/**
 * Removes every entry of `trees` not in `keep` (the new tree and the one it replaced, in which a reader
 * may still be), including temporary folders left by a killed process.
 */
async function removeOtherTrees(trees: string, keep: ReadonlySet<string>): Promise<void> {
  const names = await readdir(trees);
  await Promise.all(names.filter((name) => !keep.has(name)).map((name) => rm(join(trees, name), { recursive: true, force: true })));
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isDirectory(),
    (error: unknown) => {
      if (isCode(error, 'ENOENT')) return false;
      throw coerceError(error);
    },
  );
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}
