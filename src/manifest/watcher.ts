import { lstat, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { watch, type ChokidarOptions, type EmitArgsWithName, type FSWatcher } from 'chokidar';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { InstanceKey } from '../domain/instance.js';
import { CoalescedRuns } from '../coalesced-runs.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ignoreFileName } from './ignore-rules.js';
import { formatIssue, type ManifestIssue } from './issues.js';
import { loadLayers } from './layers.js';
import { isManifestName, type LoadTreeOptions } from './load-tree.js';
import type { DesiredStore } from './store.js';

/** Why a snapshot was taken. */
export type SnapshotReason = 'initial' | 'fs' | 'link' | 'resync' | 'signal' | 'manual' | 'poll' | 'webhook';

/** Emitted after every full read of the tree, also when nothing changed (then `changed` is empty). */
export type SnapshotEvent = Readonly<{
  revision: string;
  complete: boolean;
  changed: ReadonlySet<InstanceKey>;
  issues: readonly ManifestIssue[];
  reason: SnapshotReason;
  durationMs: number;
  /** When the source first saw this revision (the git source: the ls-remote that found the commit); the converge clock starts here. */
  seenAtMs?: number;
}>;

/** Dependencies and settings of a {@link ManifestWatcher}. */
export type ManifestWatcherDeps = Readonly<{
  /** The manifests path; may be a symlink that a git-sync sidecar swaps. */
  dir: string;
  /** Overlay folders read after `dir` (manifest/layers.ts), each watched like `dir`. Default none. */
  overlays?: readonly string[];
  store: DesiredStore;
  log: Logger;
  clock?: Clock;
  /** Quiet time after the last file event before the tree is re-read. Default 150 ms. */
  debounceMs?: number;
  /** Longest delay of a re-read under a constant stream of events. Default 1000 ms. */
  maxWaitMs?: number;
  /** Period of the full re-read safety net. Default 60000 ms; 0 turns it off. */
  resyncMs?: number;
  /** Per-file size cap passed to loadTree. Default 5 MiB. */
  maxFileBytes?: number;
  /** `--exclude` patterns passed to loadTree (gitignore syntax, relative to the root). Default none. */
  exclude?: readonly string[];
}>;

// a later reason in this list wins when several requests are merged into one load
const reasonRank: readonly SnapshotReason[] = ['resync', 'poll', 'fs', 'link', 'manual', 'webhook', 'signal', 'initial'];

/** One watched layer folder: its path as configured, and the chokidar watcher on where it resolves to. */
type Folder = {
  dir: string;
  tree: FSWatcher | undefined;
  root: string | undefined;
  /** `dev:ino:birthtime` of the watched root: a folder replaced at the same path (rm -rf + mkdir) is another folder. */
  identity: string | undefined;
};

/**
 * Keeps a {@link DesiredStore} equal to the manifest tree: every trigger leads to a full `loadLayers` of `dir` and its overlays,
 * `store.apply` and one {@link SnapshotEvent}.
 *
 * Triggers: chokidar on the resolved tree (ordinary edits, editors' atomic saves; hidden paths ignored
 * except the root's `.reconcilerignore`, whose edits change what the tree holds),
 * debounced (trailing `debounceMs`, at most `maxWaitMs` late); a second chokidar on the parent of `dir`
 * with `followSymlinks:false, depth:0` that sees git-sync's atomic link swap (chokidar misses those on the
 * tree itself, docs/architecture.md#watching-a-git-sync-link) and a root that appears after start, after which the tree watcher is re-pointed at
 * the new target; a periodic resync; and {@link reload} (SIGHUP, POST /reconcile).
 * Loads never overlap: requests during a load are merged into one more load.
 */
export class ManifestWatcher {
  readonly #folders: readonly Folder[];
  readonly #store: DesiredStore;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #resyncMs: number;
  readonly #treeOptions: LoadTreeOptions;
  readonly #listeners = new Set<(event: SnapshotEvent) => void>();
  /** One per distinct parent folder of the layers. */
  #links: FSWatcher[] = [];
  #debounce: TimerHandle | undefined;
  #burstStart: number | undefined;
  #burstReason: 'fs' | 'link' = 'fs';
  #resync: TimerHandle | undefined;
  // loads never overlap; requests during one merge into one more, the higher-ranked reason naming it
  readonly #loads = new CoalescedRuns<SnapshotReason>(
    (reason) => this.#loadOnce(reason),
    (pending, next) => (reasonRank.indexOf(next) > reasonRank.indexOf(pending) ? next : pending),
  );
  #lastIssues = '';
  #stopped = false;

  constructor(deps: ManifestWatcherDeps) {
    const dirs = [deps.dir, ...(deps.overlays ?? [])].map((dir) => resolve(dir));
    this.#folders = dirs.map((dir) => ({ dir, tree: undefined, root: undefined, identity: undefined }));
    this.#store = deps.store;
    this.#log = deps.log.child({ component: 'watcher' });
    this.#clock = deps.clock ?? systemClock;
    this.#debounceMs = deps.debounceMs ?? 150;
    this.#maxWaitMs = deps.maxWaitMs ?? 1000;
    this.#resyncMs = deps.resyncMs ?? 60_000;
    this.#treeOptions = { ...(deps.maxFileBytes === undefined ? {} : { maxFileBytes: deps.maxFileBytes }), ...(deps.exclude === undefined ? {} : { exclude: deps.exclude }) };
  }

  /** Starts the watchers, then does the first full load (reason 'initial'); resolves once it is applied. */
  async start(): Promise<void> {
    // The root's own entry in its parent: git-sync's atomic link swap, and a root (or link) that appears
    // only after start (the sidecar clones while we start). Cheap: depth 0, links not followed; layers
    // side by side share their parent's watcher.
    for (const parent of new Set(this.#folders.map((folder) => dirname(folder.dir)))) {
      if (!(await exists(parent))) continue;
      const options: ChokidarOptions = { ignoreInitial: true, followSymlinks: false, depth: 0 };
      this.#links.push(await this.#watch(parent, options, (_event, path) => {
        if (this.#folders.some((folder) => folder.dir === resolve(path))) this.#schedule('link');
      }));
    }
    for (const folder of this.#folders) {
      const root = await realpathOrUndefined(folder.dir);
      await this.#pointTreeAt(folder, root, await identityOf(root));
    }
    await this.#request('initial');
    this.#armResync();
  }

  /** Stops watching: closes both chokidar watchers, clears timers and waits for a load in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#debounce !== undefined) this.#clock.clearTimeout(this.#debounce);
    if (this.#resync !== undefined) this.#clock.clearTimeout(this.#resync);
    const watchers = [...this.#folders.map((folder) => folder.tree), ...this.#links];
    for (const folder of this.#folders) folder.tree = undefined;
    this.#links = [];
    await Promise.all(watchers.map((watcher) => watcher?.close()));
    await this.#loads.stop();
  }

  /** Forces a full re-read now (no debounce); resolves after a load that started after this call. */
  reload(reason: 'signal' | 'manual'): Promise<void> {
    return this.#request(reason);
  }

  /** Subscribes to snapshots; returns the function that unsubscribes. */
  onSnapshot(listener: (event: SnapshotEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #watch(path: string, options: ChokidarOptions, onEvent: (event: EmitArgsWithName[0], path: string) => void): Promise<FSWatcher> {
    const watcher = watch(path, options);
    watcher.on('error', (error: unknown) => this.#log.warn({ err: coerceError(error), path }, 'manifest watcher error'));
    await new Promise<void>((done) => watcher.once('ready', done));
    // listening only after 'ready': chokidar reports the link itself as added before 'ready' even with
    // ignoreInitial, and whatever happened before now is covered by the full load that follows
    watcher.on('all', onEvent);
    return watcher;
  }

  async #pointTreeAt(folder: Folder, root: string | undefined, identity: string | undefined): Promise<void> {
    if ((root === folder.root && identity === folder.identity) || this.#stopped) return;
    folder.identity = identity;
    const previous = folder.tree;
    folder.tree = undefined;
    folder.root = root;
    await previous?.close();
    if (root === undefined) return;
    const ignoreFile = join(root, ignoreFileName);
    // hidden entries are never manifests (loadTree skips them), but the root's ignore file decides what is
    const ignored = (path: string): boolean => path !== ignoreFile && relative(root, path).split(sep).some((part) => part.startsWith('.'));
    folder.tree = await this.#watch(root, { ignoreInitial: true, ignored }, (event, path) => {
      // folders by their event, not their name: `x.yaml/` is a folder like any other
      const manifestFile = (event === 'add' || event === 'change' || event === 'unlink') && isManifestName(path);
      if (event === 'addDir' || event === 'unlinkDir' || manifestFile || path === ignoreFile) this.#schedule('fs');
    });
  }

  #schedule(reason: 'fs' | 'link'): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    this.#burstStart ??= now;
    if (reason === 'link') this.#burstReason = 'link';
    if (this.#debounce !== undefined) this.#clock.clearTimeout(this.#debounce);
    const delay = Math.max(0, Math.min(this.#debounceMs, this.#burstStart + this.#maxWaitMs - now));
    this.#debounce = this.#clock.setTimeout(() => {
      const burst = this.#burstReason;
      this.#debounce = undefined;
      this.#burstStart = undefined;
      this.#burstReason = 'fs';
      void this.#request(burst);
    }, delay);
  }

  #armResync(): void {
    if (this.#resyncMs <= 0 || this.#stopped) return;
    this.#resync = this.#clock.setTimeout(() => {
      void this.#request('resync').then(() => this.#armResync());
    }, this.#resyncMs);
  }

  #request(reason: SnapshotReason): Promise<void> {
    return this.#stopped ? Promise.resolve() : this.#loads.request(reason);
  }

  async #loadOnce(reason: SnapshotReason): Promise<void> {
    const started = this.#clock.now();
    try {
      for (const folder of this.#folders) {
        const target = await realpathOrUndefined(folder.dir);
        const identity = await identityOf(target);
        if (target === folder.root && identity === folder.identity) continue;
        this.#log.info({ from: folder.root, to: target, reason }, 'manifests target changed');
        await this.#pointTreeAt(folder, target, identity);
      }
      const previousRevision = this.#store.revision;
      const snapshot = await loadLayers(this.#folders.map((folder) => folder.dir), this.#treeOptions);
      if (this.#stopped) return;
      const changed = this.#store.apply(snapshot);
      const event: SnapshotEvent = Object.freeze({
        revision: snapshot.revision,
        complete: snapshot.complete,
        changed,
        issues: snapshot.issues,
        reason,
        durationMs: this.#clock.now() - started,
      });
      this.#logSnapshot(event, previousRevision);
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch (error: unknown) {
          this.#log.error({ err: coerceError(error) }, 'snapshot listener failed');
        }
      }
    } catch (error: unknown) {
      this.#log.error({ err: coerceError(error), reason }, 'manifest load failed');
    }
  }

  #logSnapshot(event: SnapshotEvent, previousRevision: string | undefined): void {
    const fields = { revision: event.revision, complete: event.complete, changed: event.changed.size, issues: event.issues.length, reason: event.reason, durationMs: event.durationMs };
    const issues = event.issues.map(formatIssue).join('\n');
    const news = event.changed.size > 0 || event.revision !== previousRevision || issues !== this.#lastIssues;
    if (news) this.#log.info(fields, 'manifests loaded');
    else this.#log.debug(fields, 'manifests loaded');
    if (issues !== this.#lastIssues) {
      for (const issue of event.issues) this.#log.warn({ file: issue.file, line: issue.line, col: issue.col, path: issue.path, problem: issue.message }, 'manifest issue');
    }
    this.#lastIssues = issues;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    // missing (or unreadable): the periodic resync picks it up later
    return false;
  }
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    // missing or a broken link: nothing to watch until the next trigger finds it again
    return undefined;
  }
}

async function identityOf(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    const stats = await lstat(path);
    // inode numbers are reused at once (rm -rf + mkdir often gets the same one): add the birth time
    return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
  } catch {
    // gone between realpath and lstat: nothing to watch until the next trigger finds it again
    return undefined;
  }
}
