/**
 * The folder source (`--manifests DIR`, also a git-sync `current` link) behind the ManifestSource
 * interface: the ManifestWatcher does the work; this adds the `/status` source block.
 */
import type { Clock } from '../clock.js';
import type { SourceStatus } from '../domain/status.js';
import type { ManifestWatcher, SnapshotEvent } from '../manifest/watcher.js';
import type { ManifestSource } from './source.js';

export class FolderSource implements ManifestSource {
  readonly #watcher: ManifestWatcher;
  readonly #dir: string;
  #revision: string | undefined;
  #appliedAt: number | undefined;
  #converged: Readonly<{ revision: string; atMs: number }> | undefined;

  constructor(watcher: ManifestWatcher, dir: string, clock: Clock) {
    this.#watcher = watcher;
    this.#dir = dir;
    watcher.onSnapshot((event) => {
      if (event.revision === this.#revision) return;
      this.#revision = event.revision;
      this.#appliedAt = clock.now();
    });
  }

  start(): Promise<void> {
    return this.#watcher.start();
  }

  stop(): Promise<void> {
    return this.#watcher.stop();
  }

  reload(reason: 'signal' | 'manual' | 'webhook'): Promise<void> {
    return this.#watcher.reload(reason === 'signal' ? 'signal' : 'manual');
  }

  onSnapshot(listener: (event: SnapshotEvent) => void): () => void {
    return this.#watcher.onSnapshot(listener);
  }

  notReadyReason(): string | undefined {
    // the folder's own problems (missing, unparsable) are the manifest readiness reasons already
    return undefined;
  }

  noteConverged(revision: string, atMs: number): void {
    this.#converged = { revision, atMs };
  }

  status(): SourceStatus {
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      kind: 'folder',
      url: this.#dir,
      ref: null,
      revision: this.#revision ?? null,
      commit: null,
      commitTime: null,
      author: null,
      subject: null,
      fetchedAt: null,
      appliedAt: iso(this.#appliedAt),
      convergedAt: this.#converged !== undefined && this.#converged.revision === this.#revision ? iso(this.#converged.atMs) : null,
      ready: true,
      lastError: null,
    };
  }
}
