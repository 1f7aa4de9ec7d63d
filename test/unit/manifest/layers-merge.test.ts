import { describe, expect, test } from '@jest/globals';
import { formatIssue } from '../../../src/manifest/issues.js';
import { LayerMerger } from '../../../src/manifest/layer-merger.js';
import { finishTree, type TreeRead, type TreeSnapshot } from '../../../src/manifest/load-tree.js';
import { mergePatch } from '../../../src/manifest/overlay-merge.js';

/** Files of one layer by path inside it, in the order readTree would parse them (name order). */
type Layer = Readonly<{ prefix: string; files: Readonly<Record<string, string>> }>;

/** The merge without a file system: each file goes through the layer's parser, as readTree does. */
function merge(layers: readonly Layer[]): TreeSnapshot {
  const merger = new LayerMerger();
  for (const { prefix, files } of layers) {
    const layer = merger.layer(prefix);
    const read: TreeRead = { root: `/m/${prefix}`, revision: 'r', files: new Map() };
    for (const rel of Object.keys(files).sort()) read.files.set(rel, layer.parse(files[rel] as string, rel));
    merger.add(layer, read);
  }
  return finishTree({ root: '/m', revision: 'r', files: merger.files() }, { keysChecked: true });
}

const full = (name: string, spec: string): string => `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const partial = (name: string, spec: string): string => `metadata:\n  name: ${name}\nspec:\n${spec}`;
const baseWeb = full('web', '  imageUuid: docker:nginx:1.25\n  labels:\n    tier: front\n    team: a\n  ports: ["80:80/tcp", "443:443/tcp"]\n  memory: 1024\n');
const base: Layer = { prefix: 'base', files: { 'web.yaml': baseWeb } };
const prod = (text: string): Layer => ({ prefix: 'prod', files: { 'web.yaml': text } });

const specOf = (snapshot: TreeSnapshot, key: string): unknown => {
  const found = [...snapshot.files.values()].flatMap((file) => file.instances).filter((instance) => instance.key === key);
  expect(found).toHaveLength(1);
  return found[0]?.spec;
};

describe('mergePatch: JSON Merge Patch of plain values', () => {
  test.each<[string, unknown, unknown, unknown]>([
    ['mappings merge key by key', { a: 1, b: { c: 1, d: 2 } }, { b: { d: 3, e: 4 } }, { a: 1, b: { c: 1, d: 3, e: 4 } }],
    ['a scalar replaces', { a: 1 }, { a: 2 }, { a: 2 }],
    ['a list replaces whole', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['null removes the key', { a: 1, b: 2 }, { b: null }, { a: 1 }],
    ['null inside a new mapping never reaches the result', { a: 1 }, { b: { c: null, d: 1 } }, { a: 1, b: { d: 1 } }],
    ['a mapping replaces a scalar', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
  ])('%s', (_rule, left, patch, expected) => expect(mergePatch(left, patch)).toEqual(expected));
});

describe('LayerMerger: one row per merge rule', () => {
  test.each<[string, readonly Layer[], (snapshot: TreeSnapshot) => void]>([
    ['labels merge: the overlay adds and changes keys, the base keeps the rest', [base, prod(partial('web', '  labels:\n    team: b\n    env: prod\n'))], (s) => {
      expect(s.issues).toEqual([]);
      expect(specOf(s, 'web')).toMatchObject({ labels: { tier: 'front', team: 'b', env: 'prod' } });
    }],
    ['a scalar replaces', [base, prod(partial('web', '  imageUuid: docker:nginx:1.27\n'))], (s) => {
      expect(specOf(s, 'web')).toMatchObject({ imageUuid: 'docker:nginx:1.27', memory: 1024 });
    }],
    ['a list replaces whole', [base, prod(partial('web', '  ports: ["8080:80/tcp"]\n'))], (s) => {
      expect(specOf(s, 'web')).toMatchObject({ ports: ['8080:80/tcp'] });
    }],
    ['an explicit null removes the field', [base, prod(partial('web', '  memory: null\n  labels:\n    team: null\n'))], (s) => {
      expect(s.issues).toEqual([]);
      const spec = specOf(s, 'web') as Record<string, unknown>;
      expect(spec['memory']).toBeUndefined();
      expect(spec['labels']).toEqual({ tier: 'front' });
    }],
    ['a partial overlay is valid once merged, and the instance moves to the overlay file', [base, prod(partial('web', '  imageUuid: docker:nginx:1.27\n'))], (s) => {
      expect(s.complete).toBe(true);
      expect(s.files.get('base/web.yaml')?.instances).toEqual([]);
      expect(s.files.get('prod/web.yaml')?.instances.map((i) => i.source)).toEqual([{ file: 'prod/web.yaml', line: 2, col: 9 }]);
    }],
    ['a partial overlay invalid after the merge is located at the overlay field and names the base', [base, prod(partial('web', '  memory: -1\n  labels:\n    tier: 7\n'))], (s) => {
      expect(s.issues.map(formatIssue)).toEqual([
        'prod/web.yaml:4:11: spec.memory: must be >= 0, got -1 (merged onto base/web.yaml)',
        'prod/web.yaml:6:11: spec.labels.tier: expected a string, got a number (quote it: "7") (merged onto base/web.yaml)',
      ]);
      expect(s.files.get('prod/web.yaml')?.instances).toEqual([]);
      expect(s.files.get('base/web.yaml')?.instances).toEqual([]);
    }],
    ['a name no earlier layer has is a new instance and must be complete', [base, prod(partial('api', '  imageUuid: docker:api:1\n'))], (s) => {
      expect(s.issues.map(formatIssue)).toEqual(['prod/web.yaml:1:1: apiVersion: required field is missing', 'prod/web.yaml:1:1: kind: required field is missing']);
    }],
    ['a complete new instance in the overlay is added beside the base', [base, prod(full('api', '  imageUuid: docker:api:1\n'))], (s) => {
      expect(s.issues).toEqual([]);
      expect(specOf(s, 'api')).toMatchObject({ imageUuid: 'docker:api:1' });
      expect(specOf(s, 'web')).toMatchObject({ imageUuid: 'docker:nginx:1.25' });
    }],
    ['the same name twice in one layer is still a duplicate', [base, { prefix: 'prod', files: { 'a.yaml': partial('web', '  memory: 1\n'), 'b.yaml': partial('web', '  memory: 2\n') } }], (s) => {
      expect(s.issues.map(formatIssue)).toEqual([
        'prod/a.yaml:2:9: metadata.name: "web" is also declared at prod/b.yaml:2:9',
        'prod/b.yaml:2:9: metadata.name: "web" is also declared at prod/a.yaml:2:9',
      ]);
    }],
    ['the Rancher name clash is checked on the merged result', [
      { prefix: 'base', files: { 'web.yaml': baseWeb, 'api.yaml': full('api', '  imageUuid: docker:api:1\n') } },
      prod(partial('api', '  name: web\n')),
    ], (s) => {
      expect(s.issues.map(formatIssue)).toEqual([
        'base/web.yaml:4:9: spec.name: Rancher name "web" is also used by "api" at prod/web.yaml:2:9',
        'prod/web.yaml:2:9: spec.name: Rancher name "web" is also used by "web" at base/web.yaml:4:9',
      ]);
    }],
    ['a Rancher name clash of the base that the overlay resolves is not reported', [
      { prefix: 'base', files: { 'web.yaml': baseWeb, 'api.yaml': full('api', '  imageUuid: docker:api:1\n  name: web\n') } },
      prod(partial('api', '  name: api\n')),
    ], (s) => {
      expect(s.issues).toEqual([]);
      expect(specOf(s, 'api')).toMatchObject({ name: 'api' });
    }],
    ['a third layer merges onto the merge of the first two and names both', [
      base, prod(partial('web', '  memory: 2048\n')), { prefix: 'zone', files: { 'web.yaml': partial('web', '  memory: x\n') } },
    ], (s) => {
      expect(s.issues.map(formatIssue)).toEqual(['zone/web.yaml:4:11: spec.memory: expected an integer, got a string (merged onto base/web.yaml, prod/web.yaml)']);
    }],
  ])('%s', (_rule, layers, check) => check(merge(layers)));
});
