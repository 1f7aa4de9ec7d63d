/**
 * Merges manifest layers (docs/overlays.md) read one after another into one set of files: the pure part
 * of manifest/layers.ts, which does the reading. No file system, clock or logger.
 */
import type { InstanceKey } from '../domain/instance.js';
import type { ManifestIssue } from './issues.js';
import { addDuplicateKeyIssues, type FileParser, type TreeRead } from './load-tree.js';
import { documentName, isMapping, mergeOverlay, mergePatch, type BaseDocument } from './overlay-merge.js';
import { parseManifestFile, type DocumentVerdict, type ParsedDocument } from './parse.js';

type Files = TreeRead['files'];

/** One layer being read: hand {@link parse} to readTree, then give its result to {@link LayerMerger.add}. */
export type LayerRead = Readonly<{
  /** The layer's path relative to the common parent ('/' separators): every file of it is named under it. */
  prefix: string;
  /** Parses a file of this layer (its path relative to the layer), merging documents that override earlier layers. */
  parse: FileParser;
}>;

type Layer = LayerRead & { declared: Map<InstanceKey, BaseDocument>; overridden: Set<InstanceKey>; parsed: WeakSet<ManifestIssue> };

/**
 * Collects layers in order. A document whose `metadata.name` an earlier layer declares is merged onto
 * that declaration (overlay-merge.ts) and replaces it: the earlier file no longer lists the instance,
 * so the store sees one owner per key. Within one layer nothing merges: a name declared twice in it is
 * a duplicate, as in a single tree.
 */
export class LayerMerger {
  readonly #earlier = new Map<InstanceKey, BaseDocument>();
  readonly #files: Files = new Map();

  /** Starts the next layer; `prefix` must be non-empty and distinct from the other layers'. */
  layer(prefix: string): LayerRead {
    const layer: Layer = {
      prefix, declared: new Map(), overridden: new Set(), parsed: new WeakSet(),
      parse: (text, rel) => {
        const parsed = parseManifestFile(text, `${prefix}/${rel}`, (doc) => this.#judge(layer, doc));
        for (const issue of parsed.issues) layer.parsed.add(issue);
        return parsed;
      },
    };
    return layer;
  }

  /**
   * Adds what readTree read with `layer.parse`: its paths are moved under the layer's prefix, its
   * duplicate names reported, and the instances it overrides dropped from the earlier layers' files.
   */
  add(layer: LayerRead, read: TreeRead): void {
    const own = layer as Layer;
    const files: Files = new Map();
    for (const [rel, result] of read.files) {
      // issues of the walk itself (unreadable files, folders) name the path inside the layer; the
      // parser's already name the file under the prefix
      const issues = result.issues.map((issue) => (own.parsed.has(issue) ? issue : { ...issue, file: prefixed(own.prefix, issue.file) }));
      files.set(prefixed(own.prefix, rel), { instances: result.instances, issues });
    }
    addDuplicateKeyIssues(files);
    for (const result of this.#files.values()) result.instances = result.instances.filter((instance) => !own.overridden.has(instance.key));
    for (const [file, result] of files) this.#files.set(file, result);
    for (const [key, base] of own.declared) this.#earlier.set(key, base);
  }

  /** Every file of every layer added so far, under its layer's prefix (the map handed to finishTree). */
  files(): Files {
    return this.#files;
  }

  #judge(layer: Layer, doc: ParsedDocument): DocumentVerdict {
    const name = documentName(doc.value);
    if (name === undefined || !isMapping(doc.value)) return doc.own;
    const base = this.#earlier.get(name);
    if (base !== undefined) layer.overridden.add(name);
    // the first declaration in a layer is what the next layer merges onto; a second one is a duplicate
    if (!layer.declared.has(name)) {
      const value = base === undefined ? doc.value : (mergePatch(base.value, doc.value) as Record<string, unknown>);
      layer.declared.set(name, { value, files: [...(base?.files ?? []), doc.file] });
    }
    return base === undefined ? doc.own : mergeOverlay(doc, base);
  }
}

/** `prod` + `web.yaml` = `prod/web.yaml`; the layer's own root ('.') is the prefix itself. */
function prefixed(prefix: string, rel: string): string {
  return rel === '.' ? prefix : `${prefix}/${rel}`;
}
