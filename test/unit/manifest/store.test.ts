import { describe, expect, it, test } from '@jest/globals';
import { makeIssue } from '../../../src/manifest/issues.js';
import type { FileResult, TreeSnapshot } from '../../../src/manifest/load-tree.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';
import { DesiredStore } from '../../../src/manifest/store.js';

const doc = (name: string, image = 'docker:nginx:1.25'): string =>
  `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: ${name}\nspec:\n  imageUuid: ${image}\n`;

/** A snapshot from file texts; `{ failed: message }` stands for a folder (or the root '.') that could not be read. */
function snapshot(files: Record<string, string | { failed: string }>, revision = 'rev'): TreeSnapshot {
  const results = new Map<string, FileResult>();
  for (const [file, content] of Object.entries(files)) {
    results.set(file, typeof content === 'string' ? parseManifestFile(content, file) : { instances: [], issues: [makeIssue({ file, line: 1, col: 1 }, '', content.failed)] });
  }
  const issues = [...results.values()].flatMap((result) => result.issues);
  return { revision, root: '/m', complete: issues.length === 0, files: results, issues };
}

const sorted = (keys: ReadonlySet<string>): string[] => [...keys].sort();

describe('DesiredStore', () => {
  it('is empty and not loaded before the first snapshot', () => {
    const store = new DesiredStore();
    expect({ loaded: store.loaded, revision: store.revision, complete: store.complete, keys: store.keys() }).toEqual({ loaded: false, revision: undefined, complete: false, keys: [] });
  });

  it('reports every key on the first snapshot and takes its revision', () => {
    const store = new DesiredStore();
    expect(sorted(store.apply(snapshot({ 'a.yaml': doc('a'), 'b.yaml': `${doc('b')}---\n${doc('c')}` }, 'r1')))).toEqual(['a', 'b', 'c']);
    expect({ loaded: store.loaded, revision: store.revision, complete: store.complete, keys: store.keys() }).toEqual({ loaded: true, revision: 'r1', complete: true, keys: ['a', 'b', 'c'] });
  });

  test.each<[string, Record<string, string>, Record<string, string>, string[]]>([
    ['the same tree again changes nothing', { 'a.yaml': doc('a') }, { 'a.yaml': doc('a') }, []],
    ['a comment or whitespace edit changes nothing', { 'a.yaml': doc('a') }, { 'a.yaml': `# note\n\n${doc('a')}\n` }, []],
    ['a document moved to another file changes nothing', { 'a.yaml': `${doc('a')}---\n${doc('b')}` }, { 'a.yaml': doc('a'), 'z/b.yaml': doc('b') }, []],
    ['a changed field changes that key only', { 'a.yaml': doc('a'), 'b.yaml': doc('b') }, { 'a.yaml': doc('a', 'docker:nginx:1.26'), 'b.yaml': doc('b') }, ['a']],
    ['a deleted file removes its keys', { 'a.yaml': doc('a'), 'b.yaml': doc('b') }, { 'a.yaml': doc('a') }, ['b']],
    ['an added document adds its key', { 'a.yaml': doc('a') }, { 'a.yaml': `${doc('a')}---\n${doc('n')}` }, ['n']],
  ])('%s', (_rule, before, after, changed) => {
    const store = new DesiredStore();
    store.apply(snapshot(before));
    expect(sorted(store.apply(snapshot(after)))).toEqual(changed);
  });

  it('follows a moved document to its new source location', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'a.yaml': doc('a') }));
    store.apply(snapshot({ 'moved.yaml': `# moved\n${doc('a')}` }));
    expect(store.get('a')?.source).toEqual({ file: 'moved.yaml', line: 5, col: 9 });
  });

  it('keeps the last good state of every key of a failing file, blocks them and marks the tree incomplete', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'a.yaml': `${doc('a')}---\n${doc('b')}`, 'c.yaml': doc('c') }));
    const changed = store.apply(snapshot({ 'a.yaml': `${doc('a', 'docker:nginx:9')}---\n${doc('b', 'oops')}`, 'c.yaml': doc('c') }));
    expect(sorted(changed)).toEqual(['a', 'b']);
    expect(store.complete).toBe(false);
    expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.25');
    expect(store.get('b')?.spec.imageUuid).toBe('docker:nginx:1.25');
    expect(store.blockedBy('a')).toEqual({ file: 'a.yaml', line: 13, col: 14, path: 'spec.imageUuid', message: 'spec.imageUuid: must start with "docker:" (did you mean "docker:oops"?)' });
    expect(store.blockedBy('c')).toBeUndefined();
    expect(store.issues()).toHaveLength(1);
  });

  it('reports nothing new while a file keeps failing, then releases its keys when it is fixed', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'a.yaml': doc('a') }));
    store.apply(snapshot({ 'a.yaml': doc('a', 'bad') }));
    expect(sorted(store.apply(snapshot({ 'a.yaml': `${doc('a', 'worse')}\nextra: 1\n` })))).toEqual([]);
    expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.25');
    expect(sorted(store.apply(snapshot({ 'a.yaml': doc('a', 'docker:nginx:2') })))).toEqual(['a']);
    expect(store.blockedBy('a')).toBeUndefined();
    expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:2');
    expect(store.complete).toBe(true);
  });

  it('blocks a key that was never good with no desired state', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'a.yaml': `${doc('new')}---\n${doc('broken', 'x')}` }));
    expect(store.get('new')).toBeUndefined();
    expect(store.blockedBy('new')?.file).toBe('a.yaml');
    expect(store.keys()).toEqual(['new']);
  });

  it('keeps the files under a folder that could not be read, as failures', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'team/a.yaml': doc('a'), 'b.yaml': doc('b') }));
    const changed = store.apply(snapshot({ team: { failed: 'cannot read folder: permission denied (EACCES)' }, 'b.yaml': doc('b') }));
    expect(sorted(changed)).toEqual(['a']);
    expect(store.get('a')?.spec.imageUuid).toBe('docker:nginx:1.25');
    expect(store.blockedBy('a')?.message).toBe('cannot read folder: permission denied (EACCES)');
  });

  it('keeps everything when the root itself cannot be read', () => {
    const store = new DesiredStore();
    store.apply(snapshot({ 'a.yaml': doc('a'), 'x/b.yaml': doc('b') }));
    store.apply(snapshot({ '.': { failed: 'cannot read the manifests directory /m: not found (ENOENT)' } }));
    expect(store.keys()).toEqual(['a', 'b']);
    expect(store.get('b')).toBeDefined();
    expect(store.blockedBy('a')?.file).toBe('.');
    expect(store.complete).toBe(false);
  });
});
