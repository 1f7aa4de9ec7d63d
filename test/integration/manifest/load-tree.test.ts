import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeHintMessage } from '../../../src/manifest/compose-hint.js';
import { formatIssue } from '../../../src/manifest/issues.js';
import { loadTree } from '../../../src/manifest/load-tree.js';
import { DesiredStore } from '../../../src/manifest/store.js';

const doc = (name: string, image = 'docker:nginx:1.25'): string =>
  `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: ${name}\nspec:\n  imageUuid: ${image}\n`;

describe('loadTree on a real folder', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-tree-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function put(rel: string, text: string): Promise<void> {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  }

  it('reads .yaml and .yml files in nested folders, skipping hidden entries and other files', async () => {
    await put('a.yaml', doc('a'));
    await put('deep/er/b.YML', doc('b'));
    await put('.hidden.yaml', 'broken: [');
    await put('.git/config.yaml', 'broken: [');
    await put('team/.worktrees/x/c.yaml', 'broken: [');
    await put('notes.txt', 'broken: [');
    const snapshot = await loadTree(root);
    expect([...snapshot.files.keys()]).toEqual(['a.yaml', 'deep/er/b.YML']);
    expect(snapshot.complete).toBe(true);
    expect(snapshot.issues).toEqual([]);
    expect(snapshot.files.get('deep/er/b.YML')?.instances[0]?.source).toEqual({ file: 'deep/er/b.YML', line: 4, col: 9 });
  });

  it('gives a content revision that is stable for the same bytes and new for any edit', async () => {
    await put('a.yaml', doc('a'));
    const first = await loadTree(root);
    expect(first.revision).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect((await loadTree(root)).revision).toBe(first.revision);
    await put('a.yaml', `${doc('a')}# comment\n`);
    expect((await loadTree(root)).revision).not.toBe(first.revision);
  });

  it('uses the link target folder name as the revision when the path is a git-sync style link', async () => {
    await put('.worktrees/0123abcd/a.yaml', doc('a'));
    await symlink(join('.worktrees', '0123abcd'), join(root, 'current'));
    const snapshot = await loadTree(join(root, 'current'));
    expect(snapshot.revision).toBe('0123abcd');
    expect(snapshot.root).toBe(join(root, '.worktrees', '0123abcd'));
    expect([...snapshot.files.keys()]).toEqual(['a.yaml']);
  });

  it('names both places of a metadata.name declared in two files, failing both', async () => {
    await put('a.yaml', doc('web'));
    await put('sub/b.yaml', `# x\n${doc('web')}`);
    await put('c.yaml', doc('other'));
    const snapshot = await loadTree(root);
    expect(snapshot.complete).toBe(false);
    expect(snapshot.issues.map(formatIssue)).toEqual([
      'a.yaml:4:9: metadata.name: "web" is also declared at sub/b.yaml:5:9',
      'sub/b.yaml:5:9: metadata.name: "web" is also declared at a.yaml:4:9',
    ]);
    expect(snapshot.files.get('c.yaml')?.issues).toEqual([]);
  });

  it('names both manifests that claim the same Rancher name, failing both files', async () => {
    await put('a.yaml', doc('web'));
    await put('b.yaml', `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web-alias\nspec:\n  name: web\n  imageUuid: docker:nginx:1.25\n`);
    const snapshot = await loadTree(root);
    expect(snapshot.complete).toBe(false);
    expect(snapshot.issues.map(formatIssue)).toEqual([
      'a.yaml:4:9: spec.name: Rancher name "web" is also used by "web-alias" at b.yaml:4:9',
      'b.yaml:4:9: spec.name: Rancher name "web" is also used by "web" at a.yaml:4:9',
    ]);
  });

  it('follows a symlinked folder once, even when reached twice', async () => {
    await put('real/a.yaml', doc('a'));
    await symlink('real', join(root, 'alias'));
    const snapshot = await loadTree(root);
    expect(snapshot.issues).toEqual([]);
    expect([...snapshot.files.keys()]).toEqual(['alias/a.yaml']);
  });

  it('with confineTo, follows links inside the folder and refuses those that lead outside, without reading them', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'rr-outside-'));
    try {
      await writeFile(join(outside, 'secret.yaml'), 'token: outside-SECRET\n');
      await put('repo/real/a.yaml', doc('a'));
      await symlink('real', join(root, 'repo', 'alias'));
      await symlink(join(outside, 'secret.yaml'), join(root, 'repo', 'leak.yaml'));
      await symlink(outside, join(root, 'repo', 'leakdir'));
      await symlink(outside, join(root, 'repo', 'notes'));
      const snapshot = await loadTree(join(root, 'repo'), { confineTo: join(root, 'repo') });
      expect(snapshot.issues.map(formatIssue)).toEqual([
        'leak.yaml:1:1: symlink leads outside the repository: not followed',
        'leakdir:1:1: symlink leads outside the repository: not followed',
        'notes:1:1: symlink leads outside the repository: not followed',
      ]);
      expect(JSON.stringify([...snapshot.files.values()])).not.toContain('outside-SECRET');
      // the root itself may not lead out either
      await symlink(outside, join(root, 'repo', 'envs'));
      const rooted = await loadTree(join(root, 'repo', 'envs'), { confineTo: join(root, 'repo') });
      expect(rooted.issues.map(formatIssue)[0]).toContain('a symlink that leads outside the repository: not followed');
      // without confineTo (the folder source) links are followed as before
      expect((await loadTree(join(root, 'repo'))).files.has('leak.yaml')).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('honours maxFileBytes before reading', async () => {
    await put('a.yaml', doc('a'));
    const snapshot = await loadTree(root, { maxFileBytes: 10 });
    expect(snapshot.issues.map(formatIssue)).toEqual([`a.yaml:1:1: file is ${doc('a').length} bytes, over the limit of 10 bytes`]);
  });

  it('reports a manifests path that is a file, not a folder', async () => {
    await put('a.yaml', doc('a'));
    const snapshot = await loadTree(join(root, 'a.yaml'));
    expect(snapshot.complete).toBe(false);
    expect(snapshot.files.has('.')).toBe(true);
    expect(snapshot.issues[0]?.message).toBe(`cannot read the manifests directory ${join(root, 'a.yaml')}: not a directory (ENOTDIR)`);
  });

  it('walks a folder whose name ends in .yaml like any folder', async () => {
    await put('apps.yaml/web.yaml', doc('web'));
    await put('apps.yaml/README.txt', 'notes');
    await put('x.yml/deeper.yaml/db.yml', doc('db'));
    const snapshot = await loadTree(root);
    expect(snapshot.issues).toEqual([]);
    expect([...snapshot.files.keys()]).toEqual(['apps.yaml/web.yaml', 'x.yml/deeper.yaml/db.yml']);
  });

  describe('an ops repository: .reconcilerignore and exclude', () => {
    /** The kind of tree issue 13 is about: compose files, CI files and docs beside the manifests. */
    async function opsRepository(): Promise<void> {
      await put('web.yaml', doc('web'));
      await put('apps/db.yml', doc('db'));
      await put('docker-compose.yml', "version: '3'\nservices:\n  web:\n    image: nginx\n");
      await put('rancher-compose.yml', 'web:\n  scale: 2\n');
      await put('ci/pipeline.yaml', 'stages: [build]\n');
      await put('docs/README.md', '# ops\n');
      await put('docs/example.yaml', 'not: a manifest\n');
    }

    it('without rules, reports every non-manifest, the compose files with the hint', async () => {
      await opsRepository();
      const snapshot = await loadTree(root);
      expect(snapshot.complete).toBe(false);
      const issues = snapshot.issues.map(formatIssue);
      expect(issues).toContain(`docker-compose.yml:1:1: ${composeHintMessage}`);
      expect(issues).toContain(`rancher-compose.yml:1:1: ${composeHintMessage}`);
      expect(issues).toContain('ci/pipeline.yaml:1:1: stages: unknown field');
    });

    it('leaves out what .reconcilerignore names: no issue, not in the snapshot', async () => {
      await opsRepository();
      await put('.reconcilerignore', '# not manifests\n*compose*.yml\nci/\ndocs/\n');
      const snapshot = await loadTree(root);
      expect(snapshot.issues).toEqual([]);
      expect(snapshot.complete).toBe(true);
      expect([...snapshot.files.keys()]).toEqual(['apps/db.yml', 'web.yaml']);
    });

    it('adds the exclude patterns after the file, so they may also re-include', async () => {
      await opsRepository();
      await put('.reconcilerignore', '*compose*.yml\n');
      const snapshot = await loadTree(root, { exclude: ['ci/', 'docs/'] });
      expect(snapshot.issues).toEqual([]);
      const reincluded = await loadTree(root, { exclude: ['ci/', 'docs/', '!rancher-compose.yml'] });
      expect(reincluded.issues.map(formatIssue)).toEqual([`rancher-compose.yml:1:1: ${composeHintMessage}`]);
    });

    it('counts no ignored path in the revision: the same manifests give the same revision', async () => {
      await put('web.yaml', doc('web'));
      const bare = await loadTree(root);
      await opsRepository();
      const rules = ['*compose*.yml', 'ci/', 'docs/', 'apps/'];
      const withClutter = await loadTree(root, { exclude: rules });
      expect(withClutter.revision).toBe(bare.revision);
      await put('docker-compose.yml', "version: '3'\nservices: {}\n");
      expect((await loadTree(root, { exclude: rules })).revision).toBe(bare.revision);
      await put('.reconcilerignore', '# a comment changes nothing read\n');
      expect((await loadTree(root, { exclude: rules })).revision).toBe(bare.revision);
    });

    it('never reads an ignored path: broken links, unreadable files and loops under it are no issues', async () => {
      await put('web.yaml', doc('web'));
      await put('vendor/big.yaml', 'x: [');
      await symlink('missing.yaml', join(root, 'vendor', 'dangling.yaml'));
      await symlink('..', join(root, 'vendor', 'up'));
      await symlink('nowhere.yaml', join(root, 'dangling.yaml'));
      await put('.reconcilerignore', 'vendor/\ndangling.yaml\n');
      const snapshot = await loadTree(root);
      expect(snapshot.issues).toEqual([]);
      expect([...snapshot.files.keys()]).toEqual(['web.yaml']);
    });

    it('reads the ignore file only at the manifests root', async () => {
      await put('apps/.reconcilerignore', 'db.yml\n');
      await put('apps/db.yml', 'broken: [');
      const snapshot = await loadTree(root);
      expect(snapshot.issues.map((issue) => issue.file)).toEqual(['apps/db.yml']);
    });

    it('with confineTo (the git source), reads the ignore file of the manifests folder and refuses one that leads outside', async () => {
      const outside = await mkdtemp(join(tmpdir(), 'rr-outside-'));
      try {
        await writeFile(join(outside, 'rules'), 'docker-compose.yml\n');
        await put('repo/envs/prod/web.yaml', doc('web'));
        await put('repo/envs/prod/docker-compose.yml', "services: {}\n");
        await put('repo/envs/prod/.reconcilerignore', 'docker-compose.yml\n');
        const confined = await loadTree(join(root, 'repo', 'envs', 'prod'), { confineTo: join(root, 'repo') });
        expect(confined.issues).toEqual([]);
        await rm(join(root, 'repo', 'envs', 'prod', '.reconcilerignore'));
        await symlink(join(outside, 'rules'), join(root, 'repo', 'envs', 'prod', '.reconcilerignore'));
        const refused = await loadTree(join(root, 'repo', 'envs', 'prod'), { confineTo: join(root, 'repo') });
        expect(refused.issues.map(formatIssue)).toEqual([
          '.reconcilerignore:1:1: symlink leads outside the repository: not followed (no manifest is read until this file can be read)',
        ]);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it('an ignore file that cannot be read holds the whole tree: the store keeps every key as it was, blocked', async () => {
      await put('web.yaml', doc('web'));
      await put('staging/canary.yaml', doc('canary'));
      await put('.reconcilerignore', 'staging/\n');
      const store = new DesiredStore();
      store.apply(await loadTree(root));
      expect(store.keys()).toEqual(['web']);
      // not UTF-8: without its rules, staging/ would be applied
      await writeFile(join(root, '.reconcilerignore'), Buffer.from('staging/\n\xff\n', 'latin1'));
      const snapshot = await loadTree(root);
      expect(snapshot.issues.map(formatIssue)).toEqual(['.reconcilerignore:2:1: not valid UTF-8 text (no manifest is read until this file can be read)']);
      expect([...snapshot.files.keys()]).toEqual(['.']);
      store.apply(snapshot);
      expect(store.keys()).toEqual(['web']);
      expect(store.get('web')).toBeDefined();
      expect(store.blockedBy('web')?.file).toBe('.reconcilerignore');
      expect(store.complete).toBe(false);
    });

    it('an ignore file that is a folder or a broken link is an issue too', async () => {
      await put('web.yaml', doc('web'));
      await mkdir(join(root, '.reconcilerignore'));
      expect((await loadTree(root)).issues.map(formatIssue)).toEqual(['.reconcilerignore:1:1: is a directory, not a manifest file (no manifest is read until this file can be read)']);
      await rm(join(root, '.reconcilerignore'), { recursive: true });
      await symlink('rules.txt', join(root, '.reconcilerignore'));
      expect((await loadTree(root)).issues.map(formatIssue)).toEqual(['.reconcilerignore:1:1: broken symlink: its target does not exist (no manifest is read until this file can be read)']);
    });
  });
});
