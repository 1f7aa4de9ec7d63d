/**
 * Git repositories for tests, made with the real git CLI: bare "remote" repositories and work clones
 * that commit and push into them. Every git run is hermetic (src/source/git/git-cli.ts `gitEnv`: no
 * user or system config), and failures throw with git's whole stderr, for the test log.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gitEnv } from '../../src/source/git/git-cli.js';

const execFileAsync = promisify(execFile);

/** Runs git in `cwd` and returns its trimmed stdout; throws with the command and git's stderr. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd, env: gitEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error: unknown) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${stderr || String(error)}`);
  }
}

/**
 * Creates the bare repository `<root>/<name>` whose HEAD names `defaultBranch` (default `main`), and
 * returns its absolute path. It has no commits until a {@link WorkClone} pushes.
 */
export async function createBareRepo(root: string, name: string, options: { defaultBranch?: string } = {}): Promise<string> {
  const path = resolve(root, name);
  await mkdir(root, { recursive: true });
  await git(root, ['init', '--quiet', '--bare', `--initial-branch=${options.defaultBranch ?? 'main'}`, path]);
  return path;
}

/** A work tree whose `origin` is a bare repository (by file path); it commits and pushes like a developer. */
export class WorkClone {
  readonly dir: string;
  #branch: string;

  private constructor(dir: string, branch: string) {
    this.dir = dir;
    this.#branch = branch;
  }

  /**
   * Initialises `workDir` on `branch` (default `main`) with a local user.name/email, origin = `barePath`.
   * @example
   * const bare = await createBareRepo(root, 'manifests.git');
   * const work = await WorkClone.create(bare, join(root, 'work'));
   * await work.write({ 'web.yaml': '...' });
   * const sha = await work.commit('add web');
   * await work.push();
   */
  static async create(barePath: string, workDir: string, options: { branch?: string } = {}): Promise<WorkClone> {
    const branch = options.branch ?? 'main';
    await mkdir(workDir, { recursive: true });
    await git(workDir, ['init', '--quiet', `--initial-branch=${branch}`]);
    await git(workDir, ['config', 'user.name', 'Test Author']);
    await git(workDir, ['config', 'user.email', 'author@example.test']);
    await git(workDir, ['config', 'commit.gpgSign', 'false']);
    await git(workDir, ['remote', 'add', 'origin', barePath]);
    return new WorkClone(workDir, branch);
  }

  /** Writes files (paths relative to the work tree, folders created); bytes are written as they are. */
  async write(files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }

  /** Removes a file or folder of the work tree. */
  async remove(path: string): Promise<void> {
    await rm(join(this.dir, path), { recursive: true, force: true });
  }

  /** Stages everything and commits (empty commits allowed); returns the new commit's sha. */
  async commit(message: string): Promise<string> {
    await git(this.dir, ['add', '--all']);
    await git(this.dir, ['commit', '--quiet', '--allow-empty', '--message', message]);
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  /** Pushes HEAD to `branch` (default: the branch of create or the last checkout) of the bare repository. */
  async push(options: { branch?: string; force?: boolean } = {}): Promise<void> {
    const branch = options.branch ?? this.#branch;
    await git(this.dir, ['push', '--quiet', ...(options.force === true ? ['--force'] : []), 'origin', `HEAD:refs/heads/${branch}`]);
  }

  /** Switches the work tree to a new local branch (from HEAD) that later pushes go to by default. */
  async branch(name: string): Promise<void> {
    await git(this.dir, ['checkout', '--quiet', '-b', name]);
    this.#branch = name;
  }

  /** Deletes a branch of the bare repository. */
  async deleteRemoteBranch(branch: string): Promise<void> {
    await git(this.dir, ['push', '--quiet', 'origin', '--delete', branch]);
  }

  /** Moves HEAD and the work tree to `commit` (then `push({ force: true })` rewrites the remote). */
  async resetHard(commit: string): Promise<void> {
    await git(this.dir, ['reset', '--quiet', '--hard', commit]);
  }

  /** Tags HEAD (annotated with the name as its message when asked) and pushes the tag. */
  async tag(name: string, options: { annotated?: boolean } = {}): Promise<void> {
    await git(this.dir, ['tag', ...(options.annotated === true ? ['--annotate', '--message', name] : []), name]);
    await git(this.dir, ['push', '--quiet', 'origin', `refs/tags/${name}`]);
  }
}
