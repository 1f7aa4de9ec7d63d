/**
 * Which manifest source an app reads: the git source when `--git-url` is set (its clone lives in
 * `<state dir>/git`), else the folder source in `run` mode; `apply` reads a folder once with loadTree
 * (undefined here; with its overlays, manifest/layers.ts) and a git repository with one poll of the git source.
 */
import type { Config } from '../config.js';
import { ManifestWatcher } from '../manifest/watcher.js';
import { FolderSource } from '../source/folder-source.js';
import { createGitSource, type SourceDeps } from '../source/create-git-source.js';
import type { GitSource } from '../source/git-source.js';
import type { ManifestSource } from '../source/source.js';
import type { AppMode } from './wiring.js';

export type SourceParts = Readonly<{ source: ManifestSource | undefined; git: GitSource | undefined }>;

export function createSource(config: Config, mode: AppMode, deps: SourceDeps): SourceParts {
  const git = createGitSource(config, deps, mode === 'run' ? (config.git?.intervalMs ?? 0) : 0);
  if (git !== undefined) return { source: git, git };
  if (mode !== 'run') return { source: undefined, git: undefined };
  const { dir, overlays, debounceMs, maxFileBytes, exclude } = config.manifests;
  const { store, log, clock } = deps;
  const watcher = new ManifestWatcher({ dir, overlays, store, log, clock, debounceMs, resyncMs: config.reconcile.resyncMs, maxFileBytes, exclude });
  return { source: new FolderSource(watcher, dir, clock), git: undefined };
}
