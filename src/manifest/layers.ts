/**
 * Manifest layers: an environment's folders (`manifests: [base, prod]`) read in order into one tree, each
 * later layer overriding same-name documents of the ones before field by field (docs/overlays.md).
 */
import { createHash, type Hash } from 'node:crypto';
import { relative, resolve, sep } from 'node:path';
import { makeIssue, type ManifestIssue } from './issues.js';
import { LayerMerger } from './layer-merger.js';
import { finishTree, loadTree, readTree, type LoadTreeOptions, type TreeSnapshot } from './load-tree.js';

/**
 * Reads `dirs` (the base first, then each overlay) into one snapshot.
 *
 * Contract: one folder is exactly `loadTree(dir, options)`. With several, every file is named relative to
 * the folders' common parent (`base/web.yaml`, `prod/web.yaml`), which is the snapshot's `root`; a
 * document whose `metadata.name` an earlier layer declares is merged onto it (JSON Merge Patch) and
 * the merged document is validated; the Rancher-name clash check runs on the merged result; the
 * revision is one hash over the layers' revisions. A layer that cannot be read as a whole (missing,
 * not a folder, an unreadable `.reconcilerignore`), or that is, contains or sits inside an earlier one,
 * fails the whole snapshot as a missing manifests folder does: its only entry is '.', so nothing is
 * applied and every key keeps its last good state. Applying the base without the overlay would deploy
 * the base's settings to the overlay's environment. Never throws for problems of the trees.
 *
 * @throws TypeError when `dirs` is empty (a caller's bug: there is always the manifests folder)
 */
export async function loadLayers(dirs: readonly string[], options: LoadTreeOptions = {}): Promise<TreeSnapshot> {
  const [first, ...overlays] = dirs;
  if (first === undefined) throw new TypeError('loadLayers needs at least one folder');
  if (overlays.length === 0) return loadTree(first, options);
  const absolute = dirs.map((dir) => resolve(dir));
  const root = commonParent(absolute);
  const prefixes = absolute.map((dir) => relative(root, dir).split(sep).join('/'));
  const hash = createHash('sha256');
  const overlapping = overlapIssues(absolute, prefixes);
  if (overlapping.length > 0) return failed(root, overlapping, hash.update(`overlap\0${absolute.join('\0')}`));
  const merger = new LayerMerger();
  const failures: ManifestIssue[] = [];
  for (const [index, dir] of absolute.entries()) {
    const layer = merger.layer(prefixes[index] as string);
    const read = await readTree(dir, options, layer.parse);
    hash.update(`${layer.prefix}\0${read.revision}\0`);
    merger.add(layer, read);
    // readTree files a failure of the layer's root (or of its ignore file) under '.', now the prefix
    if (read.files.has('.')) failures.push(...(merger.files().get(layer.prefix)?.issues ?? []));
  }
  if (failures.length > 0) return failed(root, failures, hash);
  return finishTree({ root, revision: revisionOf(hash), files: merger.files() }, { keysChecked: true });
}

/** The snapshot of layers that cannot be merged: only '.', which blocks every key (store.ts). */
function failed(root: string, issues: ManifestIssue[], hash: Hash): TreeSnapshot {
  return finishTree({ root, revision: revisionOf(hash), files: new Map([['.', { instances: [], issues }]]) }, { keysChecked: true });
}

function revisionOf(hash: Hash): string {
  return `sha256:${hash.digest('hex').slice(0, 12)}`;
}

/** One issue per layer that is, contains or is inside an earlier one: its files would be read twice. */
function overlapIssues(absolute: readonly string[], prefixes: readonly string[]): ManifestIssue[] {
  return absolute.flatMap((dir, index) => {
    const earlier = absolute.slice(0, index).find((other) => overlaps(other, dir));
    if (earlier === undefined) return [];
    const file = prefixes[index] === '' ? '.' : (prefixes[index] as string);
    return [makeIssue({ file, line: 1, col: 1 }, '', `layer ${dir} overlaps the earlier layer ${earlier}: each layer must be a folder of its own, beside the others`)];
  });
}

/** True when `a` and `b` are the same folder or one is inside the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || b.startsWith(`${a}${sep}`) || a.startsWith(`${b}${sep}`);
}

/** The deepest folder that holds every one of `paths` (absolute, resolved). */
function commonParent(paths: readonly string[]): string {
  const split = paths.map((path) => path.split(sep));
  const head = split[0] ?? [];
  let depth = 0;
  while (depth < head.length && split.every((parts) => parts[depth] === head[depth])) depth += 1;
  // layers right under the file system root have '/' in common, which splits into ''
  return head.slice(0, depth).join(sep) || sep;
}
