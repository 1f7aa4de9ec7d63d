import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { makeIssue, type ManifestIssue } from './issues.js';

/** A 1-based position in a file. */
export type Position = Readonly<{ file: string; line: number; col: number }>;

/** One key of a mapping after merge keys (`<<`) are applied, with where its key and value were written. */
export type Entry = Readonly<{ key: string; path: string; keyPos: Position; value: Node | null; valuePos: Position }>;

/**
 * Walks one parsed YAML document for the validator: resolves aliases (refusing ones that refer to
 * their own ancestors), expands merge keys, reports duplicate and non-string keys, and turns node
 * offsets into `file:line:col` positions. Problems are pushed to `issues`; nothing throws.
 */
export class YamlReader {
  readonly #file: string;
  readonly #lines: LineCounter;
  readonly #doc: Document.Parsed;
  readonly #active = new Set<Node>();
  readonly issues: ManifestIssue[] = [];

  constructor(deps: { file: string; lineCounter: LineCounter; doc: Document.Parsed }) {
    this.#file = deps.file;
    this.#lines = deps.lineCounter;
    this.#doc = deps.doc;
  }

  /** Position of a source offset. */
  at(offset: number): Position {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.#file, line, col };
  }

  /** Position of a node; `fallback` when the node is absent or empty (`key:` with no value). */
  positionOf(node: Node | null | undefined, fallback: Position): Position {
    if (!node?.range) return fallback;
    if (isScalar(node) && node.value === null && node.range[0] === node.range[1]) return fallback;
    return this.at(node.range[0]);
  }

  /** Records a problem at `pos` with a field path prefix. */
  report(pos: Position, path: string, message: string): void {
    this.issues.push(makeIssue(pos, path, message));
  }

  /** Follows an alias to its anchored node; undefined (with an issue) for unknown or self-containing aliases. */
  resolve(node: Node | null, path: string, pos: Position): Node | null | undefined {
    if (!isAlias(node)) return node;
    const target = node.resolve(this.#doc) as Node | undefined;
    if (target === undefined) {
      this.report(pos, path, `alias *${node.source} has no anchor before it in this document (anchors do not cross ---)`);
      return undefined;
    }
    if (this.#active.has(target)) {
      this.report(pos, path, `alias *${node.source} refers to a node that contains it`);
      return undefined;
    }
    return target;
  }

  /**
   * Runs `visit` with `node` marked as being walked, so that an alias inside it that points back at it
   * is reported instead of recursing forever.
   */
  within<T>(node: Node, visit: () => T): T {
    this.#active.add(node);
    try {
      return visit();
    } finally {
      this.#active.delete(node);
    }
  }

  /**
   * The entries of a mapping, own keys first, then keys brought in by `<<` merge keys that the mapping
   * does not set itself. Duplicate own keys and keys that are not strings are reported and skipped.
   */
  entries(map: Node, path: string): Entry[] {
    if (!isMap(map)) return [];
    const own: Entry[] = [];
    const merged: Entry[] = [];
    const seen = new Map<string, Position>();
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const keyPos = this.positionOf(keyNode, this.at(map.range?.[0] ?? 0));
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        merged.push(...this.#mergeSources(pair.value as Node | null, path, keyPos));
        continue;
      }
      const key = this.#keyText(keyNode, path, keyPos);
      if (key === undefined) continue;
      const childPath = joinPath(path, key);
      const first = seen.get(key);
      if (first !== undefined) {
        this.report(keyPos, childPath, `duplicate key (first at ${first.line}:${first.col})`);
        continue;
      }
      seen.set(key, keyPos);
      const value = pair.value as Node | null;
      own.push({ key, path: childPath, keyPos, value, valuePos: this.positionOf(value, keyPos) });
    }
    for (const entry of merged) {
      if (seen.has(entry.key)) continue;
      seen.set(entry.key, entry.keyPos);
      own.push(entry);
    }
    return own;
  }

  #keyText(keyNode: Node | null, path: string, pos: Position): string | undefined {
    const resolved = this.resolve(keyNode, path, pos);
    if (isScalar(resolved) && typeof resolved.value === 'string') return resolved.value;
    const source = isScalar(resolved) ? ` (quote it: "${String(resolved.source ?? resolved.value)}")` : '';
    this.report(pos, path, `keys must be strings, got ${describeNode(resolved)}${source}`);
    return undefined;
  }

  #mergeSources(value: Node | null, path: string, pos: Position): Entry[] {
    const sources = isSeq(value) ? (value.items as Node[]) : [value];
    const result: Entry[] = [];
    for (const source of sources) {
      const target = this.resolve(source, path, pos);
      if (target === undefined) continue;
      if (!isMap(target)) {
        this.report(pos, path, `a merge key (<<) needs a mapping, got ${describeNode(target)}`);
        continue;
      }
      result.push(...this.within(target, () => this.entries(target, path)));
    }
    return result;
  }
}

/** `spec` + `memory` = `spec.memory`; keys that are not plain words are bracketed: `labels["io.x/y z"]`. */
export function joinPath(path: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** What a node is, for "expected X, got Y" messages: `a string`, `a number`, `null`, `a mapping`, ... */
export function describeNode(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'null';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a sequence';
  if (isAlias(node)) return 'an alias';
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return 'a string';
    if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
    if (typeof value === 'boolean') return 'a boolean';
  }
  return 'an unsupported value';
}
