/**
 * One read of the desired state for `plan`: the folder and its overlays with loadLayers, or one poll of the git source
 * into a throw-away clone (plan writes nothing to the state dir, so CI can preview any commit:
 * `plan --git-url URL --git-ref <sha|branch>`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import type { SourceStatus } from '../domain/status.js';
import type { Logger } from '../logger.js';
import { loadLayers } from '../manifest/layers.js';
import type { ManifestIssue } from '../manifest/issues.js';
import { DesiredStore } from '../manifest/store.js';
import { createMetrics } from '../observability/metrics.js';
import { createGitSource } from './create-git-source.js';

export type DesiredOnce = Readonly<{ store: DesiredStore; issues: readonly ManifestIssue[]; source: SourceStatus | undefined }>;

/** Reads the configured source once. @throws GitError when the repository cannot be fetched. */
export async function readDesiredOnce(config: Config, log: Logger): Promise<DesiredOnce> {
  const store = new DesiredStore();
  if (config.git === undefined) {
    const { dir, overlays } = config.manifests;
    // the same layers as apply and run read (start-steps.ts, source-wiring.ts): plan previews their merge
    const snapshot = await loadLayers([dir, ...overlays], { maxFileBytes: config.manifests.maxFileBytes, exclude: config.manifests.exclude });
    store.apply(snapshot);
    return { store, issues: snapshot.issues, source: undefined };
  }
  const scratch = await mkdtemp(join(tmpdir(), 'rancher-reconciler-plan-'));
  try {
    const metrics = createMetrics({ defaultMetrics: false });
    const git = createGitSource(config, { store, log, clock: systemClock, metrics, stateDir: scratch }, 0);
    if (git === undefined) throw new Error('unreachable: git config without a git source');
    let issues: readonly ManifestIssue[] = [];
    git.onSnapshot((event) => {
      issues = event.issues;
    });
    await git.start();
    await git.stop();
    if (git.lastError !== undefined) throw git.lastError;
    return { store, issues, source: git.status() };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
