/**
 * Where each mapping key of one YAML document was written, and the document's structural problems
 * (duplicate keys, keys that are not strings, broken aliases and merge keys). An overlay document
 * (docs/overlays.md) is validated only after it is merged onto its base as a plain value, which has
 * lost both: this walk keeps them, so merged problems can be located in the overlay file and a
 * malformed overlay is refused as written rather than silently normalised by the conversion.
 */
import { isMap, type Node } from 'yaml';
import type { ManifestIssue } from './issues.js';
import type { Position, YamlReader } from './yaml-reader.js';

/** The result of {@link documentFields}. */
export type DocumentFields = Readonly<{
  /** Field path (`spec.labels.tier`, as the validator writes paths) to the position of its value. */
  positions: ReadonlyMap<string, Position>;
  /** Structural problems only; value problems are the validator's, judged after the merge. */
  issues: readonly ManifestIssue[];
}>;

/** Deepest mappings walked: far beyond the schema's depth (3), and a bound on hostile input. */
const maxDepth = 16;

/**
 * Walks the mappings of `contents` (lists are not entered: they replace whole in a merge, so the
 * validator locates their items on its own). `reader` must be a fresh reader of the same document:
 * its issues become the structural issues.
 */
export function documentFields(reader: YamlReader, contents: Node): DocumentFields {
  const positions = new Map<string, Position>();
  const visit = (node: Node, path: string, depth: number): void => {
    if (!isMap(node) || depth > maxDepth) return;
    for (const entry of reader.entries(node, path)) {
      positions.set(entry.path, entry.valuePos);
      const value = reader.resolve(entry.value, entry.path, entry.valuePos);
      if (value !== null && value !== undefined) reader.within(value, () => visit(value, entry.path, depth + 1));
    }
  };
  reader.within(contents, () => visit(contents, '', 0));
  return { positions, issues: reader.issues };
}

/**
 * The position to report a problem of field `path` at: the deepest field on that path that the
 * document wrote itself (`spec.labels.tier`, else `spec.labels`, else `spec`), else `fallback`.
 */
export function positionFor(fields: DocumentFields, path: string, fallback: Position): Position {
  let best: string | undefined;
  for (const written of fields.positions.keys()) {
    const onPath = path === written || path.startsWith(`${written}.`) || path.startsWith(`${written}[`);
    if (onPath && (best === undefined || written.length > best.length)) best = written;
  }
  return best === undefined ? fallback : (fields.positions.get(best) ?? fallback);
}
