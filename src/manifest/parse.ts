import { LineCounter, isScalar, parseAllDocuments, type Document, type Node } from 'yaml';
import type { DesiredInstance } from '../domain/instance.js';
import { composeHint } from './compose-hint.js';
import { documentFields, type DocumentFields } from './document-fields.js';
import { compareIssues, makeIssue, type ManifestIssue } from './issues.js';
import { readInstance } from './instance-schema.js';
import { YamlReader, type Position } from './yaml-reader.js';

/** Alias expansions allowed per document before it is treated as an alias bomb (yaml's `maxAliasCount`). */
export const maxAliasCount = 100;

/** The result of parsing one file: instances of the documents that validated, and every problem found. */
export type ParsedFile = { instances: DesiredInstance[]; issues: ManifestIssue[] };

/** What a {@link DocumentHook} decides for one document: its instance (if valid) and its problems. */
export type DocumentVerdict = Readonly<{ instance: DesiredInstance | undefined; issues: readonly ManifestIssue[] }>;

/** One document that is well-formed YAML (no syntax error, no alias bomb), as a {@link DocumentHook} sees it. */
export type ParsedDocument = Readonly<{
  file: string;
  /** The plain value (aliases and merge keys resolved); undefined when yaml cannot build it. */
  value: unknown;
  /** Where the document's content starts. */
  start: Position;
  /** The validator's verdict on the document alone. */
  own: DocumentVerdict;
  /** Field positions and structural issues (document-fields.ts), walked when called: only overrides need them. */
  fields: () => DocumentFields;
}>;

/**
 * Replaces the verdict of each well-formed document before the file-level checks (duplicate names in
 * the file, no documents, the compose hint) run on the result: manifest/layers.ts merges overlay
 * documents onto their base here. Without a hook the verdict is the document's own.
 */
export type DocumentHook = (doc: ParsedDocument) => DocumentVerdict;

/**
 * Parses and validates one manifest file. Pure: no file system, clock or logger.
 *
 * Contract: `issues` lists every problem of the file at once, sorted by position, each located as
 * `file:line:col` with its field path. `instances` holds the documents that validated even when others
 * did not: callers apply a file only when `issues` is empty (a file is the unit of change).
 * An empty document between `---` separators is skipped; a file with no document at all is an error
 * (usually a truncated write). NUL characters (a binary file) fail the file before YAML parsing.
 * A failing file that looks like a docker-compose/rancher-compose file (`compose-hint.ts`) gets one
 * issue that says so and how to leave it out, instead of its field errors.
 *
 * @param text the decoded file content (the caller decodes UTF-8 strictly and caps the size)
 * @param file the path reported in issues and in `source`, relative to the manifest tree root
 * @param hook decides each well-formed document's verdict instead of the validator alone (overlays)
 */
export function parseManifestFile(text: string, file: string, hook?: DocumentHook): ParsedFile {
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const lineStart = text.lastIndexOf('\n', nul) + 1;
    const line = countNewlines(text, nul) + 1;
    return { instances: [], issues: [makeIssue({ file, line, col: nul - lineStart + 1 }, '', 'binary file: contains a NUL byte')] };
  }
  const lineCounter = new LineCounter();
  // uniqueKeys is off because YamlReader reports duplicate keys itself, with the field path and the first position
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const issues: ManifestIssue[] = [];
  const instances: DesiredInstance[] = [];
  const firstAt = new Map<string, DesiredInstance>();
  let documents = 0;
  for (const doc of docs) {
    const reader = new YamlReader({ file, lineCounter, doc });
    const syntax = [...doc.errors, ...doc.warnings];
    for (const error of syntax) reader.report(reader.at(error.pos[0]), '', `invalid YAML: ${error.message}`);
    if (syntax.length > 0 || isEmpty(doc)) {
      if (syntax.length > 0) documents += 1;
      issues.push(...reader.issues);
      continue;
    }
    documents += 1;
    const docStart = reader.at(doc.contents?.range[0] ?? 0);
    const aliasProblem = checkAliases(doc);
    if (aliasProblem !== undefined) {
      reader.report(docStart, '', aliasProblem);
      issues.push(...reader.issues);
      continue;
    }
    const verdict = judgeDocument({ file, lineCounter, doc, reader, docStart, contents: doc.contents as Node }, hook);
    issues.push(...verdict.issues);
    const instance = verdict.instance;
    if (instance === undefined) continue;
    const first = firstAt.get(instance.key);
    if (first !== undefined) {
      const at = `${first.source.file}:${first.source.line}:${first.source.col}`;
      issues.push(makeIssue(instance.source, 'metadata.name', `${JSON.stringify(instance.key)} is also declared at ${at}`));
      continue;
    }
    firstAt.set(instance.key, instance);
    instances.push(instance);
  }
  if (documents === 0) issues.push(makeIssue({ file, line: 1, col: 1 }, '', 'file has no documents (empty or truncated?)'));
  const hint = issues.length === 0 ? undefined : composeHint(file, docs);
  if (hint !== undefined) return { instances: [], issues: [hint] };
  return { instances, issues: issues.sort(compareIssues) };
}

type Judged = Readonly<{ file: string; lineCounter: LineCounter; doc: Document.Parsed; reader: YamlReader; docStart: Position; contents: Node }>;

/** The validator's verdict on one document, handed to `hook` (when given) with what it needs to decide instead. */
function judgeDocument(at: Judged, hook: DocumentHook | undefined): DocumentVerdict {
  const own = { instance: readInstance(at.reader, at.contents, at.docStart), issues: at.reader.issues };
  if (hook === undefined) return own;
  let value: unknown;
  try {
    value = at.doc.toJS({ maxAliasCount });
  } catch {
    // an alias without anchor or a bad merge source: the validator has reported it; no value to merge
    value = undefined;
  }
  // a fresh reader: the walk reports structural problems again, apart from the validator's
  const fields = (): DocumentFields => documentFields(new YamlReader({ file: at.file, lineCounter: at.lineCounter, doc: at.doc }), at.contents);
  return hook({ file: at.file, value, start: at.docStart, own, fields });
}

/** A document with no content (`---` followed by nothing or only comments, or an explicit null). */
function isEmpty(doc: Document.Parsed): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

/**
 * yaml's toJS counts alias expansions and throws past maxAliasCount: the alias bomb guard. Its other
 * failures (an alias without anchor, a bad merge source) are left to YamlReader, which locates them.
 */
function checkAliases(doc: Document.Parsed): string | undefined {
  try {
    doc.toJS({ maxAliasCount });
  } catch (error: unknown) {
    if (error instanceof Error && /excessive alias/i.test(error.message)) {
      return `too many alias expansions (over ${maxAliasCount}): refusing a possible alias bomb`;
    }
  }
  return undefined;
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < end; index = text.indexOf('\n', index + 1)) count += 1;
  return count;
}
