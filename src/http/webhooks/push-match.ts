/**
 * Whether a verified push is for what the git source follows: the same repository and the watched
 * ref. Pure: no I/O, clock or logger. A match only means "look now"; the source reads the remote itself.
 */
import { redactUrl } from '../../errors.js';
import { isSameRepository } from './repository-key.js';

/** What a push names; `repositories` empty or `ref` undefined means "not said" (that part always matches). */
export type PushFacts = Readonly<{ repositories: readonly string[]; ref: string | undefined }>;

/** What the git source follows: `url` the configured remote, `ref` and `pinned` from `WebhookTarget.watchedRef()`. */
export type WatchedSource = Readonly<{ url: string; ref: string | undefined; pinned: boolean }>;

/** The decision; `reason` says exactly why a push matched nothing, in words for the provider's delivery log. */
export type PushMatch = Readonly<{ kind: 'match' }> | Readonly<{ kind: 'mismatch'; reason: string }>;

/**
 * Decides whether `push` is for `watched`:
 * - the repository matches when any name in the push is the same repository (repository-key.ts);
 * - a push for a ref never moves a source pinned to a commit;
 * - the ref matches when it names the watched ref (`main` stands for `refs/heads/main` or `refs/tags/main`);
 *   while the watched ref is not known yet (no `--git-ref`, first ls-remote pending) any ref matches.
 */
export function matchPush(push: PushFacts, watched: WatchedSource): PushMatch {
  if (push.repositories.length > 0 && !push.repositories.some((name) => isSameRepository(name, watched.url))) {
    return { kind: 'mismatch', reason: `push for repository ${shown(push.repositories[0] ?? '')} but the source is ${watched.url}` };
  }
  if (push.ref === undefined) return { kind: 'match' };
  if (watched.pinned) {
    return { kind: 'mismatch', reason: `push for ref ${shown(push.ref)} but the source is pinned to a commit (--git-ref): no push can move it` };
  }
  if (watched.ref === undefined || isSameRef(push.ref, watched.ref)) return { kind: 'match' };
  return { kind: 'mismatch', reason: `push for ref ${shown(push.ref)} but the source follows ${watched.ref}` };
}

/** True when two refs name the same branch or tag; a short name (`main`) stands for its branch or its tag. */
export function isSameRef(a: string, b: string): boolean {
  const full = (ref: string): readonly string[] => (ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]);
  const theirs = full(a);
  return full(b).some((ref) => theirs.includes(ref));
}

/** A name from the payload as it may appear in a reply and a log line: no credentials, cut short. */
function shown(text: string): string {
  const safe = redactUrl(text);
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
}
