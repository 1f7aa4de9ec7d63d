import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DesiredStore } from '../../../src/manifest/store.js';
import { ManifestWatcher, type ManifestWatcherDeps, type SnapshotEvent } from '../../../src/manifest/watcher.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** The acceptance bound: every change is seen within 1 s. */
const withinMs = 1000;

function manifest(name: string, image = 'docker:nginx:1.25', extra = ''): string {
  return `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: ${name}\nspec:\n  imageUuid: ${image}\n${extra}`;
}

/** Collects every snapshot and lets a test await the first one (from now on) that matches. */
class Snapshots {
  readonly seen: SnapshotEvent[] = [];
  #waiters: { match: (event: SnapshotEvent) => boolean; done: (event: SnapshotEvent) => void }[] = [];

  constructor(watcher: ManifestWatcher) {
    watcher.onSnapshot((event) => {
      this.seen.push(event);
      for (const waiter of [...this.#waiters]) {
        if (!waiter.match(event)) continue;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.done(event);
      }
    });
  }

  next(match: (event: SnapshotEvent) => boolean = () => true, timeoutMs = withinMs): Promise<SnapshotEvent> {
    return new Promise((resolveEvent, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching snapshot within ${timeoutMs} ms; seen ${JSON.stringify(this.seen.map(summary))}`)), timeoutMs);
      this.#waiters.push({ match, done: (event) => {
        clearTimeout(timer);
        resolveEvent(event);
      } });
    });
  }
}

function summary(event: SnapshotEvent): object {
  return { reason: event.reason, revision: event.revision, changed: [...event.changed], issues: event.issues.length };
}

const keysOf = (event: SnapshotEvent): string[] => [...event.changed].sort();

describe('ManifestWatcher on a real folder', () => {
  let root: string;
  let store: DesiredStore;
  let watcher: ManifestWatcher;
  let snapshots: Snapshots;

  async function startWatcher(dir: string, deps: Partial<ManifestWatcherDeps> = {}): Promise<SnapshotEvent> {
    store = new DesiredStore();
    watcher = new ManifestWatcher({ dir, store, log: captureLogger().log, resyncMs: 0, ...deps });
    snapshots = new Snapshots(watcher);
    const initial = snapshots.next((event) => event.reason === 'initial');
    await watcher.start();
    return initial;
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-watch-'));
  });
  afterEach(async () => {
    await watcher?.stop();
    await rm(root, { recursive: true, force: true });
  });

  describe('plain folder', () => {
    beforeEach(async () => {
      await writeFile(join(root, 'a.yaml'), manifest('a'));
      await mkdir(join(root, 'nested'));
      await writeFile(join(root, 'nested', 'b.yml'), manifest('b'));
    });

    it('loads everything first, with every key changed and a content-hash revision', async () => {
      const initial = await startWatcher(root);
      expect(keysOf(initial)).toEqual(['a', 'b']);
      expect(initial.revision).toMatch(/^sha256:[0-9a-f]{12}$/);
      expect(store.loaded).toBe(true);
      expect(store.complete).toBe(true);
    });

    it('reports an edit as a change of that key only', async () => {
      await startWatcher(root);
      const next = snapshots.next((event) => event.reason === 'fs');
      await writeFile(join(root, 'a.yaml'), manifest('a', 'docker:nginx:1.26'));
      expect(keysOf(await next)).toEqual(['a']);
      expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.26');
    });

    it('reports a comment-only edit as a snapshot with no changed key', async () => {
      const initial = await startWatcher(root);
      const next = snapshots.next((event) => event.reason === 'fs');
      await writeFile(join(root, 'a.yaml'), `# a comment\n${manifest('a')}\n\n`);
      const event = await next;
      expect(keysOf(event)).toEqual([]);
      expect(event.revision).not.toBe(initial.revision);
    });

    it('reports an added file', async () => {
      await startWatcher(root);
      const next = snapshots.next((event) => event.changed.size > 0);
      await writeFile(join(root, 'nested', 'c.yaml'), manifest('c'));
      expect(keysOf(await next)).toEqual(['c']);
    });

    it('reports a deleted file as a removed key', async () => {
      await startWatcher(root);
      const next = snapshots.next((event) => event.changed.size > 0);
      await unlink(join(root, 'nested', 'b.yml'));
      expect(keysOf(await next)).toEqual(['b']);
      expect(store.get('b')).toBeUndefined();
      expect(store.keys()).toEqual(['a']);
    });

    it('reports an editor-style atomic save (write a temp file, rename over)', async () => {
      await startWatcher(root);
      const next = snapshots.next((event) => event.changed.size > 0);
      await writeFile(join(root, '.a.yaml.swp'), manifest('a', 'docker:nginx:1.27'));
      await rename(join(root, '.a.yaml.swp'), join(root, 'a.yaml'));
      expect(keysOf(await next)).toEqual(['a']);
      expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.27');
    });

    it('blocks the keys of a file that turns invalid and keeps their last good state, then recovers', async () => {
      await startWatcher(root);
      const broken = snapshots.next((event) => event.changed.size > 0);
      await writeFile(join(root, 'a.yaml'), manifest('a', 'nginx:typo'));
      const event = await broken;
      expect(keysOf(event)).toEqual(['a']);
      expect(event.complete).toBe(false);
      expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.25');
      expect(store.blockedBy('a')?.message).toBe('spec.imageUuid: must start with "docker:" (did you mean "docker:nginx:typo"?)');
      const fixed = snapshots.next((next) => next.changed.size > 0);
      await writeFile(join(root, 'a.yaml'), manifest('a', 'docker:nginx:1.26'));
      expect(keysOf(await fixed)).toEqual(['a']);
      expect(store.blockedBy('a')).toBeUndefined();
      expect(store.complete).toBe(true);
    });

    it('turns a burst of 100 writes into a handful of snapshots', async () => {
      await startWatcher(root);
      const final = snapshots.next((event) => event.reason === 'fs' && store.get('a')?.spec.description === 'v99', 5000);
      for (let index = 0; index < 100; index += 1) {
        await writeFile(join(root, 'a.yaml'), manifest('a', 'docker:nginx:1.25', `  description: v${index}\n`));
      }
      await final;
      const fsSnapshots = snapshots.seen.filter((event) => event.reason === 'fs').length;
      expect(fsSnapshots).toBeGreaterThanOrEqual(1);
      expect(fsSnapshots).toBeLessThanOrEqual(10);
    });

    it('re-reads on reload with an empty changed set, and serialises concurrent reloads into two loads', async () => {
      await startWatcher(root);
      await Promise.all([watcher.reload('signal'), watcher.reload('manual'), watcher.reload('manual'), watcher.reload('signal')]);
      const reloads = snapshots.seen.filter((event) => event.reason !== 'initial');
      expect(reloads.map((event) => event.reason)).toEqual(['signal', 'signal']);
      expect(reloads.every((event) => event.changed.size === 0)).toBe(true);
    });

    it('re-reads the whole tree on the resync timer', async () => {
      const clock = new ManualClock();
      await startWatcher(root, { clock, resyncMs: 60_000 });
      const resync = snapshots.next((event) => event.reason === 'resync');
      clock.advance(60_000);
      expect(keysOf(await resync)).toEqual([]);
    });
  });

  describe('ops repository beside the manifests', () => {
    const compose = "version: '3'\nservices:\n  web:\n    image: nginx\n";

    beforeEach(async () => {
      await writeFile(join(root, 'web.yaml'), manifest('web'));
      await writeFile(join(root, 'docker-compose.yml'), compose);
    });

    it('passes exclude on to every read', async () => {
      const initial = await startWatcher(root, { exclude: ['docker-compose.yml'] });
      expect(initial.complete).toBe(true);
      expect(keysOf(initial)).toEqual(['web']);
    });

    it('re-reads when .reconcilerignore is written, changed or removed', async () => {
      const initial = await startWatcher(root);
      expect(initial.complete).toBe(false);
      const ignored = snapshots.next((event) => event.reason === 'fs' && event.complete);
      await writeFile(join(root, '.reconcilerignore'), 'docker-compose.yml\n');
      expect((await ignored).issues).toEqual([]);
      const narrowed = snapshots.next((event) => event.reason === 'fs' && keysOf(event).includes('web'));
      await writeFile(join(root, '.reconcilerignore'), 'docker-compose.yml\nweb.yaml\n');
      await narrowed;
      expect(store.keys()).toEqual([]);
      const removed = snapshots.next((event) => event.reason === 'fs' && !event.complete);
      await unlink(join(root, '.reconcilerignore'));
      await removed;
      expect(store.keys()).toEqual(['web']);
    });

    it('follows a folder named like a manifest: files added, edited and removed under it', async () => {
      await startWatcher(root, { exclude: ['docker-compose.yml'] });
      const added = snapshots.next((event) => keysOf(event).includes('db'));
      await mkdir(join(root, 'apps.yaml'));
      await writeFile(join(root, 'apps.yaml', 'db.yml'), manifest('db'));
      const event = await added;
      expect(event.issues).toEqual([]);
      const edited = snapshots.next((next) => keysOf(next).includes('db'));
      await writeFile(join(root, 'apps.yaml', 'db.yml'), manifest('db', 'docker:postgres:16'));
      await edited;
      expect(store.get('db')?.spec.imageUuid).toBe('docker:postgres:16');
      const removed = snapshots.next((next) => keysOf(next).includes('db'));
      await rm(join(root, 'apps.yaml'), { recursive: true });
      await removed;
      expect(store.keys()).toEqual(['web']);
    });
  });

  it('keeps following edits when the manifests folder is replaced at the same path (rm -rf + mkdir)', async () => {
    const dir = join(root, 'manifests');
    await mkdir(dir);
    await writeFile(join(dir, 'a.yaml'), manifest('a'));
    await startWatcher(dir);
    const replaced = snapshots.next((event) => keysOf(event).includes('b'));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await writeFile(join(dir, 'b.yaml'), manifest('b'));
    expect(keysOf(await replaced)).toContain('b');
    const edited = snapshots.next((event) => keysOf(event).includes('c'));
    await writeFile(join(dir, 'c.yaml'), manifest('c'));
    expect(keysOf(await edited)).toEqual(['c']);
  });

  describe('git-sync layout (ROOT/current -> .worktrees/<rev>)', () => {
    async function worktree(rev: string, files: Record<string, string>): Promise<void> {
      const dir = join(root, '.worktrees', rev);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, '.git'), 'gitdir: ../../.git/worktrees/x\n');
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    }

    /** `ln -s .worktrees/<rev> .tmp-link && mv -T .tmp-link current`, keeping the old worktree. */
    async function swapTo(rev: string): Promise<void> {
      await symlink(join('.worktrees', rev), join(root, '.tmp-link'));
      await rename(join(root, '.tmp-link'), join(root, 'current'));
    }

    it('sees an atomic link swap, re-reads the new target and keeps following edits there', async () => {
      await worktree('abc123', { 'a.yaml': manifest('a'), 'b.yaml': manifest('b') });
      await symlink(join('.worktrees', 'abc123'), join(root, 'current'));
      const initial = await startWatcher(join(root, 'current'));
      expect(initial.revision).toBe('abc123');
      expect(keysOf(initial)).toEqual(['a', 'b']);

      await worktree('def456', { 'a.yaml': manifest('a', 'docker:nginx:1.26'), 'c.yaml': manifest('c') });
      const swapped = snapshots.next((event) => event.revision === 'def456');
      await swapTo('def456');
      const event = await swapped;
      expect(event.reason).toBe('link');
      expect(keysOf(event)).toEqual(['a', 'b', 'c']);
      expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.26');
      expect(store.get('b')).toBeUndefined();
      expect(store.revision).toBe('def456');

      const edited = snapshots.next((next) => next.reason === 'fs' && next.changed.size > 0);
      await writeFile(join(root, '.worktrees', 'def456', 'c.yaml'), manifest('c', 'docker:redis:7'));
      expect(keysOf(await edited)).toEqual(['c']);
    });

    it('sees a second swap whose only change is file content (the case chokidar misses on the tree)', async () => {
      await worktree('r1', { 'a.yaml': manifest('a') });
      await symlink(join('.worktrees', 'r1'), join(root, 'current'));
      await startWatcher(join(root, 'current'));
      await worktree('r2', { 'a.yaml': manifest('a', 'docker:nginx:1.26') });
      const first = snapshots.next((event) => event.revision === 'r2');
      await swapTo('r2');
      expect(keysOf(await first)).toEqual(['a']);
      await worktree('r3', { 'a.yaml': manifest('a', 'docker:nginx:1.27') });
      const second = snapshots.next((event) => event.revision === 'r3');
      await swapTo('r3');
      expect(keysOf(await second)).toEqual(['a']);
      expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.27');
    });

    it('follows a `current` link that git-sync creates only after the watcher started, and its next swap', async () => {
      const initial = await startWatcher(join(root, 'current'));
      expect(initial.complete).toBe(false);
      await worktree('first', { 'a.yaml': manifest('a') });
      const cloned = snapshots.next((event) => event.revision === 'first');
      await swapTo('first');
      const event = await cloned;
      expect(event.complete).toBe(true);
      expect(keysOf(event)).toEqual(['a']);
      await worktree('second', { 'a.yaml': manifest('a', 'docker:nginx:1.26') });
      const swapped = snapshots.next((next) => next.revision === 'second');
      await swapTo('second');
      expect(keysOf(await swapped)).toEqual(['a']);
    });
  });
});
