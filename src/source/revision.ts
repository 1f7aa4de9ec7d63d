/**
 * Revision strings of the git source, as Flux's source-controller writes them: `<branch>@sha1:<40 hex>`
 * for a branch, `<tag>@sha1:<40 hex>` for a tag (the peeled commit), `sha1:<40 hex>` for a pinned commit.
 * The folder source keeps its own forms (git-sync's worktree name, `sha256:<12 hex>` of the content).
 */

/** What a revision is made of. */
export type RevisionParts = Readonly<{ kind: 'branch' | 'tag' | 'commit'; name: string; commit: string }>;

/** `main@sha1:<commit>`, `v1.2@sha1:<commit>` or `sha1:<commit>`. */
export function formatRevision(parts: RevisionParts): string {
  return parts.kind === 'commit' ? `sha1:${parts.commit}` : `${parts.name}@sha1:${parts.commit}`;
}

/** The commit of a git revision string, or undefined for any other form. */
export function commitOfRevision(revision: string): string | undefined {
  return /(?:^|@)sha1:([0-9a-f]{40})$/.exec(revision)?.[1];
}
