/**
 * The git source's local copy of one remote: a bare repository holding only the commits it was asked
 * for, each fetched shallowly (depth 1, no tags), and their checked-out trees. Layout under `dir`:
 * - `repo.git/`: the bare repository; it has no remote configured: the URL is given on every command,
 *   and credentials only ever come through {@link GitAuth} (environment), so nothing on disk holds one;
 * - `trees/<commit>/`: complete trees, at most two (git-tree.ts);
 * - `current`: a link to `trees/<commit>`, swapped atomically.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { GitError, coerceError, redactUrl } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { gitAuthEnv, gitAuthSecrets, type GitAuth } from './git-auth.js';
import { runGit, type GitOutput } from './git-cli.js';
import { isCommitSha, lsRemotePatterns, parseLsRemote, pickDefaultBranch, pickRef, pinnedCommit, type ResolvedRef } from './git-refs.js';
import { checkoutTree } from './git-tree.js';

export type { ResolvedRef } from './git-refs.js';

/** What a mirror needs: the credential-free `url`, how to authenticate, its own folder, and the per-command timeout (ms). */
export type GitMirrorOptions = Readonly<{ url: string; auth: GitAuth; dir: string; timeoutMs: number; log: Logger }>;

/** One commit's facts for status and logs: `time` is git's ISO-8601 committer date (with its own offset). */
export type CommitInfo = Readonly<{ commit: string; time: string; author: string; subject: string }>;

/** The local ref that keeps the last fetched commit reachable, so git's auto-gc never prunes it. */
const keepRef = 'refs/reconciler/fetched';

/**
 * A shallow local mirror of one git remote (see the module comment for the layout). Every method runs
 * git processes bounded by `timeoutMs` each and by `signal`, and fails with a classified GitError; none
 * retries, except that `fetch` re-clones a corrupt local repository once. `fetch` and `checkout` run one
 * at a time per mirror (later calls wait), so a caller may overlap them safely. The constructor throws
 * RangeError for an ssh key or known_hosts path ssh cannot take (see gitAuthEnv).
 */
export class GitMirror {
  readonly #url: string;
  readonly #authEnv: Readonly<Record<string, string>>;
  readonly #secrets: readonly string[];
  readonly #dir: string;
  readonly #gitDir: string;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: GitMirrorOptions) {
    this.#url = options.url;
    this.#authEnv = gitAuthEnv(options.auth);
    this.#secrets = gitAuthSecrets(options.auth);
    this.#dir = resolvePath(options.dir);
    this.#gitDir = join(this.#dir, 'repo.git');
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log;
  }

  /**
   * What `ref` points at on the remote, by `git ls-remote` (no objects are transferred). `undefined`
   * means the remote's default branch (HEAD's symref); a 40-hex sha is a pinned commit and needs no
   * network; a full `refs/...` name is taken as it is; any other name is the branch, else the tag
   * (peeled). Throws GitError `ref-not-found` naming the ref and the URL when the remote lacks it.
   */
  async resolve(ref: string | undefined, signal?: AbortSignal): Promise<ResolvedRef> {
    if (ref !== undefined && isCommitSha(ref)) return pinnedCommit(ref);
    await mkdir(this.#dir, { recursive: true });
    const args = ref === undefined ? ['ls-remote', '--symref', '--', this.#url, 'HEAD'] : ['ls-remote', '--', this.#url, ...lsRemotePatterns(ref)];
    // no GIT_DIR: ls-remote needs no repository, and the ceiling keeps git from finding one around `dir`
    const { stdout } = await this.#run(args, { target: this.#url, signal, env: { GIT_CEILING_DIRECTORIES: dirname(this.#dir) } });
    const remote = parseLsRemote(stdout);
    const found = ref === undefined ? pickDefaultBranch(remote) : pickRef(ref, remote);
    if (found !== undefined) return found;
    const what = ref === undefined ? 'no default branch (HEAD) with a commit' : `no branch or tag "${ref}"`;
    throw new GitError('ref-not-found', `git ls-remote ${redactUrl(this.#url)}: the remote has ${what}`);
  }

  /**
   * Makes sure `resolved.commit` and its tree are in the local repository: nothing to do when they are,
   * else one shallow fetch of `resolved.ref`. When the ref moved on the remote since `resolve`, the
   * resolved commit is fetched by sha instead (`ref-not-found` when the server refuses that). A corrupt
   * local repository is removed and the fetch tried once more from scratch (logged as a warning).
   */
  fetch(resolved: ResolvedRef, signal?: AbortSignal): Promise<void> {
    return this.#exclusive(async () => {
      try {
        await this.#fetchOnce(resolved, signal);
      } catch (error: unknown) {
        if (!(error instanceof GitError && error.reason === 'corrupt')) throw coerceError(error);
        this.#log.warn({ dir: this.#dir, err: error }, 'local git clone corrupt, re-cloning');
        await rm(this.#gitDir, { recursive: true, force: true });
        await this.#fetchOnce(resolved, signal);
      }
    });
  }

  /** Author, committer date and subject of a fetched commit (40 hex). GitError `failed` when it was never fetched. */
  async commitInfo(commit: string, signal?: AbortSignal): Promise<CommitInfo> {
    const sha = checkedSha(commit);
    if (!(await this.#has(`${sha}^{commit}`, signal))) {
      throw new GitError('failed', `git show ${this.#gitDir}: commit ${sha} is not in the local clone (fetch it first)`);
    }
    const { stdout } = await this.#git(['show', '--no-patch', '--format=%H%x00%cI%x00%an <%ae>%x00%s', '--end-of-options', sha], signal);
    const [found = sha, time = '', author = '', subject = ''] = stdout.replace(/\n$/, '').split('\0');
    return { commit: found, time, author, subject };
  }

  /**
   * Publishes a fetched commit's tree as `<dir>/trees/<commit>` and points `<dir>/current` at it, both
   * atomically; keeps only that tree and the one it replaced. Reuses an existing tree. Returns the
   * tree's absolute path.
   */
  checkout(commit: string, signal?: AbortSignal): Promise<string> {
    const sha = checkedSha(commit);
    return this.#exclusive(() => checkoutTree(this.#dir, sha, (args, env) => this.#git(args, signal, env)));
  }

  async #fetchOnce(resolved: ResolvedRef, signal: AbortSignal | undefined): Promise<void> {
    await this.#openRepository(signal);
    if (await this.#has(`${resolved.commit}^{tree}`, signal)) return;
    const startedMs = Date.now();
    const fetched = await this.#fetchShallow(resolved.ref, signal);
    if (fetched !== resolved.commit) await this.#fetchMoved(resolved, fetched, signal);
    if (!(await this.#has(`${resolved.commit}^{tree}`, signal))) {
      throw new GitError('ref-not-found', `git fetch ${redactUrl(this.#url)}: commit ${resolved.commit} of ${resolved.ref} is not on the remote`);
    }
    await this.#git(['update-ref', keepRef, resolved.commit], signal);
    this.#log.debug({ ref: resolved.ref, commit: resolved.commit, durationMs: Date.now() - startedMs }, 'git fetch finished');
  }

  /** One `git fetch --depth 1` of a ref or sha into FETCH_HEAD; returns the commit it fetched (tags peeled). */
  async #fetchShallow(what: string, signal: AbortSignal | undefined): Promise<string> {
    await this.#run(['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', '--', this.#url, what], { target: this.#url, signal, env: { GIT_DIR: this.#gitDir } });
    const { stdout } = await this.#git(['rev-parse', '--verify', '--end-of-options', 'FETCH_HEAD^{commit}'], signal);
    return stdout.trim();
  }

  /** The ref moved between resolve and fetch: what we resolved is what the caller acts on, so fetch exactly it. */
  async #fetchMoved(resolved: ResolvedRef, fetched: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#fetchShallow(resolved.commit, signal);
    } catch (error: unknown) {
      if (!(error instanceof GitError && error.reason === 'ref-not-found')) throw coerceError(error);
      const message = `git fetch ${redactUrl(this.#url)}: ${resolved.ref} moved from ${resolved.commit} to ${fetched}, and the server does not serve ${resolved.commit} by sha`;
      throw new GitError('ref-not-found', message, { cause: error });
    }
  }

  /** Initialises the bare repository when missing; an existing one that git cannot open is `corrupt`. */
  async #openRepository(signal: AbortSignal | undefined): Promise<void> {
    if (!(await exists(this.#gitDir))) {
      await mkdir(this.#dir, { recursive: true });
      await this.#run(['init', '--bare', '--quiet', '--', this.#gitDir], { target: this.#gitDir, signal, env: {} });
      // auto-gc after a fetch must run in the foreground, inside our timeout and process group
      await this.#git(['config', 'gc.autoDetach', 'false'], signal);
      return;
    }
    try {
      await this.#git(['rev-parse', '--git-dir'], signal);
    } catch (error: unknown) {
      if (error instanceof GitError && (error.reason === 'timeout' || error.reason === 'aborted')) throw error;
      throw new GitError('corrupt', `local git clone ${this.#gitDir} cannot be opened: ${coerceError(error).message}`, { cause: error });
    }
  }

  /** Whether an object exists locally (`<sha>^{tree}`...). A damaged repository, a timeout or an abort still throw. */
  async #has(object: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await this.#git(['cat-file', '-e', '--end-of-options', object], signal);
      return true;
    } catch (error: unknown) {
      if (error instanceof GitError && !['corrupt', 'timeout', 'aborted'].includes(error.reason)) return false;
      throw coerceError(error);
    }
  }

  #git(args: readonly string[], signal: AbortSignal | undefined, env: Readonly<Record<string, string>> = {}): Promise<GitOutput> {
    return this.#run(args, { target: this.#gitDir, signal, env: { GIT_DIR: this.#gitDir, ...env } });
  }

  #run(args: readonly string[], how: { target: string; signal: AbortSignal | undefined; env: Readonly<Record<string, string>> }): Promise<GitOutput> {
    return runGit(args, {
      target: how.target,
      timeoutMs: this.#timeoutMs,
      signal: how.signal,
      cwd: this.#dir,
      env: { ...this.#authEnv, ...how.env },
      secrets: this.#secrets,
    });
  }

  /** Runs `task` after every earlier fetch/checkout of this mirror settled. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    // the tail only orders the next task; `run`'s own rejection goes to this call's caller
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

function checkedSha(commit: string): string {
  if (!isCommitSha(commit)) throw new RangeError(`expected a 40-hex commit sha, got ${JSON.stringify(commit)}`);
  return commit.toLowerCase();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: unknown) => {
      if ((error as { code?: unknown } | null)?.code === 'ENOENT') return false;
      throw coerceError(error);
    },
  );
}
