/**
 * The manifest source: where desired state comes from. Two implementations behind one interface, so
 * the desired store, diff and queue do not know which one runs:
 * - the folder source (`--manifests DIR`, also a git-sync `current` link): manifest/watcher.ts, wrapped
 *   by folder-source.ts;
 * - the git source (`--git-url`): git-source.ts, which polls the remote, fetches a new commit shallowly
 *   and hands its tree over as one snapshot whose revision is `<branch>@sha1:<40 hex>`.
 */
import type { SourceStatus } from '../domain/status.js';
import type { SnapshotEvent } from '../manifest/watcher.js';

export type { SnapshotEvent } from '../manifest/watcher.js';

/** A manifest source of `run` mode. */
export interface ManifestSource {
  /** Starts it and resolves after the first attempt to read (a git source whose first fetch fails resolves too, not ready). */
  start(): Promise<void>;
  /** Stops timers, watchers and a fetch in flight; resolves when nothing of it runs any more. */
  stop(): Promise<void>;
  /** Looks now (SIGHUP, POST /reconcile, a webhook); resolves after a read that started after this call. */
  reload(reason: 'signal' | 'manual' | 'webhook'): Promise<void>;
  /** Subscribes to snapshots; returns the function that unsubscribes. */
  onSnapshot(listener: (event: SnapshotEvent) => void): () => void;
  /** The `/status` source block. */
  status(): SourceStatus;
  /** Why the source is not ready (`git source not ready (auth): ...; keeping <revision>`), undefined while it is fine. */
  notReadyReason(): string | undefined;
  /** Records that `revision` converged (the controller's `revision:converged`). */
  noteConverged(revision: string, atMs: number): void;
}

/**
 * What a webhook receiver needs to know about the git source to decide whether a push is ours, and the
 * trigger it pulls when it is.
 */
export interface WebhookTarget {
  /** The configured repository URL (credentials stripped). */
  readonly url: string;
  /**
   * The branch or tag a push must be for (`refs/heads/main`, `refs/tags/v1`), once known (with no
   * `--git-ref` it is the remote's default branch, known after the first ls-remote); undefined while
   * unknown. A pinned commit gives `undefined` and `pinned: true`: no push can move it.
   */
  watchedRef(): Readonly<{ ref: string | undefined; pinned: boolean }>;
  /** Asks for an immediate ls-remote + fetch; several calls while one runs coalesce into one more. */
  trigger(): void;
}
