import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssue } from '../../../src/manifest/issues.js';
import { loadLayers } from '../../../src/manifest/layers.js';
import { loadTree } from '../../../src/manifest/load-tree.js';
import { DesiredStore } from '../../../src/manifest/store.js';
import { ManifestWatcher, type SnapshotEvent } from '../../../src/manifest/watcher.js';
import { captureLogger } from '../../helpers/log-sink.js';

const doc = (name: string, image = 'docker:nginx:1.25'): string =>
  `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: ${name}\nspec:\n  imageUuid: ${image}\n  labels:\n    tier: front\n`;
const overlay = (name: string, image: string): string => `metadata:\n  name: ${name}\nspec:\n  imageUuid: ${image}\n`;

/** Generous: chokidar and the debounce on a loaded CI machine, never a wall-clock assertion. */
const deadlineMs = 20_000;

describe('loadLayers on real folders', () => {
  let root: string;
  let basePath: string;
  let prodPath: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-layers-'));
    basePath = join(root, 'manifests', 'base');
    prodPath = join(root, 'manifests', 'prod');
    await mkdir(basePath, { recursive: true });
    await mkdir(prodPath, { recursive: true });
    await writeFile(join(basePath, 'web.yaml'), doc('web'));
    await writeFile(join(prodPath, 'web.yaml'), overlay('web', 'docker:nginx:1.27'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names files under the common parent and applies the overlay field by field', async () => {
    const snapshot = await loadLayers([basePath, prodPath]);
    expect(snapshot.root).toBe(join(root, 'manifests'));
    expect([...snapshot.files.keys()]).toEqual(['base/web.yaml', 'prod/web.yaml']);
    expect(snapshot.issues).toEqual([]);
    const web = snapshot.files.get('prod/web.yaml')?.instances[0];
    expect(web?.spec).toMatchObject({ imageUuid: 'docker:nginx:1.27', labels: { tier: 'front' } });
    expect(web?.source).toEqual({ file: 'prod/web.yaml', line: 2, col: 9 });
    const store = new DesiredStore();
    store.apply(snapshot);
    expect(store.keys()).toEqual(['web']);
    expect(store.get('web')?.spec.imageUuid).toBe('docker:nginx:1.27');
  });

  it('is exactly loadTree with one folder', async () => {
    expect(await loadLayers([basePath])).toEqual(await loadTree(basePath));
  });

  it('keeps its revision for the same layers and changes it when only the overlay changes', async () => {
    const first = await loadLayers([basePath, prodPath]);
    expect(first.revision).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect((await loadLayers([basePath, prodPath])).revision).toBe(first.revision);
    await writeFile(join(prodPath, 'web.yaml'), overlay('web', 'docker:nginx:1.28'));
    expect((await loadLayers([basePath, prodPath])).revision).not.toBe(first.revision);
  });

  it('fails the whole snapshot for a missing overlay folder, so nothing of the base is applied alone', async () => {
    const missing = join(root, 'manifests', 'prd');
    const snapshot = await loadLayers([basePath, missing]);
    expect(snapshot.complete).toBe(false);
    expect([...snapshot.files.keys()]).toEqual(['.']);
    expect(snapshot.issues.map(formatIssue)).toEqual([`prd:1:1: cannot read the manifests directory ${missing}: not found (ENOENT)`]);
    const store = new DesiredStore();
    store.apply(await loadLayers([basePath, prodPath]));
    store.apply(snapshot);
    // the merged state is kept and blocked: base's image must not reach prod
    expect(store.get('web')?.spec.imageUuid).toBe('docker:nginx:1.27');
    expect(store.blockedBy('web')?.file).toBe('prd');
  });

  it('refuses a layer inside an earlier one: its files would be read twice', async () => {
    const inner = join(basePath, 'extra');
    await mkdir(inner);
    const snapshot = await loadLayers([basePath, inner]);
    expect(snapshot.issues.map(formatIssue)).toEqual([`extra:1:1: layer ${inner} overlaps the earlier layer ${basePath}: each layer must be a folder of its own, beside the others`]);
  });
});

describe('ManifestWatcher with an overlay folder', () => {
  let root: string;
  let watcher: ManifestWatcher | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-layers-watch-'));
  });
  afterEach(async () => {
    await watcher?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('re-reads the layers when a file changes in the overlay folder', async () => {
    const basePath = join(root, 'base');
    const prodPath = join(root, 'prod');
    await mkdir(basePath);
    await mkdir(prodPath);
    await writeFile(join(basePath, 'web.yaml'), doc('web'));
    await writeFile(join(prodPath, 'web.yaml'), overlay('web', 'docker:nginx:1.27'));
    const store = new DesiredStore();
    watcher = new ManifestWatcher({ dir: basePath, overlays: [prodPath], store, log: captureLogger().log, resyncMs: 0 });
    await watcher.start();
    expect(store.get('web')?.spec.imageUuid).toBe('docker:nginx:1.27');
    const changed = new Promise<SnapshotEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no snapshot with web changed within ${deadlineMs} ms`)), deadlineMs);
      watcher?.onSnapshot((event) => {
        if (!event.changed.has('web')) return;
        clearTimeout(timer);
        resolve(event);
      });
    });
    await writeFile(join(prodPath, 'web.yaml'), overlay('web', 'docker:nginx:1.28'));
    const event = await changed;
    expect(event.reason).toBe('fs');
    expect(store.get('web')?.spec.imageUuid).toBe('docker:nginx:1.28');
  }, deadlineMs + 10_000);
});
