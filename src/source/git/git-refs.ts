/**
 * Refs as the git source names them, and the pure reading of `git ls-remote` output into a
 * {@link ResolvedRef}. Which names are asked for and which answer wins is decided here, without I/O
 * (test/unit/source/git-refs.test.ts); git-mirror.ts runs the ls-remote.
 */

/**
 * What a configured ref points at on the remote right now.
 * - `kind`: `branch` (anything under `refs/heads/`, and any other full `refs/...` name that is not a
 *   tag: it can move), `tag`, or `commit` (a pinned 40-hex sha: it cannot move);
 * - `name`: as a person writes it (`main`, `v1.2`, the sha; a full name for other `refs/...`);
 * - `ref`: what to fetch (`refs/heads/main`, `refs/tags/v1.2`, the sha);
 * - `commit`: the 40-hex commit, peeled for annotated tags.
 */
export type ResolvedRef = Readonly<{ kind: 'branch' | 'tag' | 'commit'; name: string; ref: string; commit: string }>;

/** What `git ls-remote` printed: ref name → object id, and symbolic refs (`HEAD` → `refs/heads/main`). */
export type RemoteRefs = Readonly<{ refs: ReadonlyMap<string, string>; symrefs: ReadonlyMap<string, string> }>;

/** True for a full commit sha (40 hex, either case): a pinned commit, resolved without asking the remote. */
export function isCommitSha(ref: string): boolean {
  return /^[0-9a-f]{40}$/i.test(ref);
}

/** The resolution of a pinned commit: no network, the sha is all there is. */
export function pinnedCommit(sha: string): ResolvedRef {
  const commit = sha.toLowerCase();
  return { kind: 'commit', name: commit, ref: commit, commit };
}

/**
 * The ls-remote patterns for `ref`: a full `refs/...` name as it is (with its peeled `^{}` form), else
 * the branch, the tag and the tag's peeled form, asked for in one round trip.
 */
export function lsRemotePatterns(ref: string): string[] {
  if (ref.startsWith('refs/')) return [ref, `${ref}^{}`];
  return [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`];
}

/** Reads `git ls-remote [--symref]` output: `<oid>\t<name>` lines and `ref: <target>\t<name>` lines. */
export function parseLsRemote(stdout: string): RemoteRefs {
  const refs = new Map<string, string>();
  const symrefs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const symref = /^ref: (\S+)\t(\S+)$/.exec(line);
    if (symref !== null) symrefs.set(symref[2]!, symref[1]!);
    const plain = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (plain !== null) refs.set(plain[2]!, plain[1]!);
  }
  return { refs, symrefs };
}

/**
 * Picks what `ref` means among the remote's refs (from {@link lsRemotePatterns}): a branch wins over
 * a tag of the same name, as `git checkout <name>` decides; a tag's commit is its peeled `^{}` id when
 * the tag is annotated. Names are matched exactly: ls-remote's patterns also match on a suffix
 * (`main` matches `refs/heads/feature/main`). Undefined when the remote has none of them.
 */
export function pickRef(ref: string, remote: RemoteRefs): ResolvedRef | undefined {
  for (const candidate of ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
    const id = remote.refs.get(`${candidate}^{}`) ?? remote.refs.get(candidate);
    if (id !== undefined && remote.refs.has(candidate)) return describeRef(candidate, id);
  }
  return undefined;
}

/**
 * The remote's default branch from `ls-remote --symref <url> HEAD`: HEAD's target and its commit.
 * Undefined when the remote does not say (an empty repository, a server without symref support).
 */
export function pickDefaultBranch(remote: RemoteRefs): ResolvedRef | undefined {
  const target = remote.symrefs.get('HEAD');
  const id = remote.refs.get('HEAD');
  if (target === undefined || id === undefined) return undefined;
  return describeRef(target, id);
}

function describeRef(fullRef: string, commit: string): ResolvedRef {
  if (fullRef.startsWith('refs/heads/')) return { kind: 'branch', name: fullRef.slice('refs/heads/'.length), ref: fullRef, commit };
  if (fullRef.startsWith('refs/tags/')) return { kind: 'tag', name: fullRef.slice('refs/tags/'.length), ref: fullRef, commit };
  return { kind: 'branch', name: fullRef, ref: fullRef, commit };
}
