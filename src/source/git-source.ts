/**
 * The git source: keeps the desired store at the tree of the followed ref's latest commit.
 *
 * Each poll runs a cheap `git ls-remote`; only when the commit moved does it fetch (shallow), materialise
 * the commit's tree in a folder of its own and hand it over as one snapshot whose revision is
 * `<branch>@sha1:<40 hex>` (revision.ts). Polls come from a timer (`--git-interval` ±10 % jitter), a
 * webhook or POST /reconcile ({@link reload}); they never overlap, and requests during a poll coalesce
 * into one more. A failing poll (unreachable remote, rejected credentials, deleted branch) changes
 * nothing: the last good commit stays the desired state, the source reports not ready, and polls back off
 * exponentially (from min(interval, 5 s) up to max(interval, 5 min)) until one succeeds.
 */
import { join } from 'node:path';
import { backoffDelay } from '../backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { CoalescedRuns } from '../coalesced-runs.js';
import type { SourceStatus } from '../domain/status.js';
import { coerceError, redactUrl, type GitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { loadLayers } from '../manifest/layers.js';
import type { DesiredStore } from '../manifest/store.js';
import type { SnapshotEvent, SnapshotReason } from '../manifest/watcher.js';
import type { SourceMetrics } from '../observability/source-metrics.js';
import { formatRevision } from './revision.js';
import { SourceCondition, type SourceConditionDeps } from './source-condition.js';
import type { ManifestSource, WebhookTarget } from './source.js';

/** The git plumbing the source drives (source/git/git-mirror.ts's GitMirror). */
export interface GitMirrorPort {
  resolve(ref: string | undefined, signal?: AbortSignal): Promise<Readonly<{ kind: 'branch' | 'tag' | 'commit'; name: string; ref: string; commit: string }>>;
  fetch(resolved: Readonly<{ kind: 'branch' | 'tag' | 'commit'; name: string; ref: string; commit: string }>, signal?: AbortSignal): Promise<void>;
  commitInfo(commit: string, signal?: AbortSignal): Promise<Readonly<{ commit: string; time: string; author: string; subject: string }>>;
  checkout(commit: string, signal?: AbortSignal): Promise<string>;
}

type Resolved = Awaited<ReturnType<GitMirrorPort['resolve']>>;
type Current = Readonly<{ resolved: Resolved; revision: string; info: Awaited<ReturnType<GitMirrorPort['commitInfo']>>; appliedAt: number; convergedAt?: number }>;

export type GitSourceDeps = Readonly<{
  mirror: GitMirrorPort;
  url: string;
  /** `--git-ref`; undefined follows the remote's default branch. */
  ref: string | undefined;
  /** `--git-path`: the manifests folder inside the repository ('' = root). */
  path: string;
  /** Folders inside the repository read after `path`, each overriding the ones before (manifest/layers.ts). Default none. */
  overlays?: readonly string[];
  /** Poll period; 0 polls only on start and on request (apply, plan). */
  intervalMs: number;
  store: DesiredStore;
  log: Logger;
  clock?: Clock;
  metrics?: SourceMetrics;
  maxFileBytes?: number;
  /** `--exclude` patterns, added to the `.reconcilerignore` of the commit's manifests folder. Default none. */
  exclude?: readonly string[];
  random?: () => number;
  /** Told of each change of the fetch condition (source-condition.ts): the event journal's source-not-ready / source-ready. */
  onConditionChange?: SourceConditionDeps['onChange'];
}>;

export class GitSource implements ManifestSource, WebhookTarget {
  readonly url: string;
  readonly #deps: GitSourceDeps;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #condition: SourceCondition;
  readonly #listeners = new Set<(event: SnapshotEvent) => void>();
  readonly #abort = new AbortController();
  #current: Current | undefined;
  #resolved: Resolved | undefined;
  #fetchedAt: number | undefined;
  #timer: TimerHandle | undefined;
  // the first reason of a merged batch names it; 'initial' always wins
  readonly #polls = new CoalescedRuns<SnapshotReason>((reason) => this.#pollAndArm(reason), (pending, next) => (next === 'initial' ? next : pending));
  #stopped = false;

  constructor(deps: GitSourceDeps) {
    this.#deps = deps;
    this.url = redactUrl(deps.url);
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log.child({ component: 'git-source' });
    this.#condition = new SourceCondition({
      clock: this.#clock, log: this.#log, ...(deps.metrics ? { metrics: deps.metrics } : {}), ...(deps.onConditionChange ? { onChange: deps.onConditionChange } : {}),
    });
  }

  /** Polls once (resolves after it, also when it failed: see {@link lastError}), then keeps polling on the interval. */
  async start(): Promise<void> {
    await this.#polls.request('initial');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#polls.stop();
  }

  reload(reason: 'signal' | 'manual' | 'webhook'): Promise<void> {
    return this.#polls.request(reason);
  }

  trigger(): void {
    void this.#polls.request('webhook');
  }

  onSnapshot(listener: (event: SnapshotEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last poll's failure, undefined after a success. */
  get lastError(): GitError | undefined {
    return this.#condition.failure;
  }

  /** The revision handed to the store last, undefined before the first good poll. */
  get revision(): string | undefined {
    return this.#current?.revision;
  }

  watchedRef(): Readonly<{ ref: string | undefined; pinned: boolean }> {
    const configured = this.#deps.ref;
    if (configured !== undefined && /^[0-9a-f]{40}$/i.test(configured)) return { ref: undefined, pinned: true };
    if (configured?.startsWith('refs/')) return { ref: configured, pinned: false };
    const resolved = this.#resolved ?? this.#current?.resolved;
    return { ref: resolved?.kind === 'commit' ? undefined : resolved?.ref, pinned: resolved?.kind === 'commit' };
  }

  notReadyReason(): string | undefined {
    const error = this.#condition.error;
    if (error === undefined) return undefined;
    const keeping = this.#current === undefined ? 'no commit fetched yet' : `keeping ${this.#current.revision}`;
    return `git source not ready (${error.reason}): ${error.message}; ${keeping}`;
  }

  noteConverged(revision: string, atMs: number): void {
    if (this.#current?.revision === revision) this.#current = { ...this.#current, convergedAt: atMs };
  }

  status(): SourceStatus {
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
    const current = this.#current;
    return {
      kind: 'git',
      url: this.url,
      ref: this.#deps.ref ?? this.#resolved?.name ?? null,
      revision: current?.revision ?? null,
      commit: current?.info.commit ?? null,
      commitTime: current?.info.time ?? null,
      author: current?.info.author ?? null,
      subject: current?.info.subject ?? null,
      fetchedAt: iso(this.#fetchedAt),
      appliedAt: iso(current?.appliedAt),
      convergedAt: iso(current?.convergedAt),
      ready: this.#condition.error === undefined,
      lastError: this.#condition.error ?? null,
    };
  }

  async #pollAndArm(reason: SnapshotReason): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#pollOnce(reason);
    this.#arm();
  }

  #arm(): void {
    const { intervalMs } = this.#deps;
    if (intervalMs <= 0 || this.#stopped) return;
    const failures = this.#condition.failures;
    const random = this.#deps.random ?? Math.random;
    const delay = failures === 0
      ? backoffDelay(0, { baseMs: intervalMs, maxMs: intervalMs * 1.1, jitter: 0.1 }, random)
      : backoffDelay(failures - 1, { baseMs: Math.min(intervalMs, 5000), maxMs: Math.max(intervalMs, 300_000), jitter: 0.2 }, random);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#polls.request('poll');
    }, delay);
  }

  async #pollOnce(reason: SnapshotReason): Promise<void> {
    const started = this.#clock.now();
    const signal = this.#abort.signal;
    try {
      const resolved = await this.#deps.mirror.resolve(this.#deps.ref, signal);
      this.#resolved = resolved;
      const seenAt = this.#clock.now();
      if (this.#current?.resolved.commit !== resolved.commit || this.#current.resolved.name !== resolved.name) {
        await this.#deps.mirror.fetch(resolved, signal);
        const info = await this.#deps.mirror.commitInfo(resolved.commit, signal);
        const tree = await this.#deps.mirror.checkout(resolved.commit, signal);
        if (this.#stopped) return;
        await this.#applyTree(resolved, info, tree, { reason, started, seenAt });
      }
      this.#fetchedAt = this.#clock.now();
      this.#condition.ok({ revision: this.#current?.revision });
      this.#deps.metrics?.observeGitFetch({ ok: true, durationMs: this.#clock.now() - started });
    } catch (error: unknown) {
      if (this.#stopped) return;
      this.#condition.failed(error, this.#current?.revision);
      this.#deps.metrics?.observeGitFetch({ ok: false, durationMs: this.#clock.now() - started });
    }
  }

  /** Reads the commit's tree (under `--git-path`, then each overlay) and hands it to the store and the listeners as one snapshot. */
  async #applyTree(resolved: Resolved, info: Current['info'], tree: string, at: Readonly<{ reason: SnapshotReason; started: number; seenAt: number }>): Promise<void> {
    const { path, overlays = [], maxFileBytes, exclude, store } = this.#deps;
    // links in a commit may point anywhere on this machine: only those that stay inside the tree are followed
    const options = { confineTo: tree, ...(maxFileBytes === undefined ? {} : { maxFileBytes }), ...(exclude === undefined ? {} : { exclude }) };
    // every layer is confined to the same tree: an overlay path cannot lead out of the commit either
    const snapshot = await loadLayers([path, ...overlays].map((folder) => (folder === '' ? tree : join(tree, folder))), options);
    if (this.#stopped) return;
    const revision = formatRevision(resolved);
    const changed = store.apply({ ...snapshot, revision });
    this.#current = { resolved, revision, info, appliedAt: this.#clock.now() };
    this.#deps.metrics?.setSourceInfo({ kind: 'git', url: this.url, ref: resolved.ref, commit: resolved.commit });
    const event: SnapshotEvent = Object.freeze({
      revision, complete: snapshot.complete, changed, issues: snapshot.issues, reason: at.reason,
      durationMs: this.#clock.now() - at.started, seenAtMs: at.seenAt,
    });
    this.#log.info({ revision, author: info.author, subject: info.subject, complete: snapshot.complete, changed: changed.size, issues: snapshot.issues.length, reason: at.reason, durationMs: event.durationMs }, 'commit applied');
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error: unknown) {
        this.#log.error({ err: coerceError(error) }, 'snapshot listener failed');
      }
    }
  }
}
