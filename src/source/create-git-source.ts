/**
 * Builds the git source of `config.git`: its clone lives in `<stateDir>/git`, driven by GitMirror.
 * Used by the app's wiring (run, apply) and by `plan` (with a throw-away state dir).
 */
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config, GitAuthConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { DesiredStore } from '../manifest/store.js';
import type { Metrics } from '../observability/metrics.js';
import { GitMirror } from './git/git-mirror.js';
import { GitSource, type GitSourceDeps } from './git-source.js';

export type SourceDeps = Readonly<{ store: DesiredStore; log: Logger; clock: Clock; metrics: Metrics; stateDir: string; onConditionChange?: GitSourceDeps['onConditionChange'] }>;

/** The git source of `config.git`; `intervalMs` 0 polls only when asked (apply, plan). */
export function createGitSource(config: Config, deps: SourceDeps, intervalMs: number): GitSource | undefined {
  const git = config.git;
  if (git === undefined) return undefined;
  const { store, log, clock, metrics, stateDir } = deps;
  const dir = join(stateDir, 'git');
  const mirror = new GitMirror({ url: git.url, auth: withKnownHosts(git.auth, dir), dir, timeoutMs: git.timeoutMs, log: log.child({ component: 'git' }) });
  return new GitSource({
    mirror, url: git.url, ref: git.ref, path: git.path, overlays: git.overlays, intervalMs, store, log, clock, metrics: metrics.source, maxFileBytes: config.manifests.maxFileBytes, exclude: config.manifests.exclude,
    ...(deps.onConditionChange === undefined ? {} : { onConditionChange: deps.onConditionChange }),
  });
}


/**
 * `--git-ssh-accept-new` with no `--git-known-hosts-file`: the key seen first is remembered in
 * `<git dir>/known_hosts` (the state volume), so a changed key is refused afterwards. Without a writable
 * file ssh would accept any key on every connection.
 */
function withKnownHosts(auth: GitAuthConfig, dir: string): GitAuthConfig {
  if (auth.kind !== 'ssh' || auth.knownHostsFile !== undefined || !auth.acceptNewHostKeys) return auth;
  return { ...auth, knownHostsFile: join(dir, 'known_hosts') };
}
