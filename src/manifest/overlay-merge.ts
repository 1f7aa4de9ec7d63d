/**
 * How one overlay document is merged onto the document of the same `metadata.name` in an earlier
 * layer, and how the result is judged (docs/overlays.md). Pure: no file system, clock or logger.
 */
import { stringify } from 'yaml';
import type { DesiredInstance } from '../domain/instance.js';
import { positionFor } from './document-fields.js';
import { makeIssue, type ManifestIssue } from './issues.js';
import { parseManifestFile, type DocumentVerdict, type ParsedDocument } from './parse.js';

/** What a later layer merges onto: the value so far, and every file it was built from (earliest first). */
export type BaseDocument = Readonly<{ value: Readonly<Record<string, unknown>>; files: readonly string[] }>;

type Mapping = Record<string, unknown>;

/** A YAML mapping as a plain value (yaml's toJS gives plain objects; lists are arrays). */
export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `metadata.name` of a document value when it is a string: the key an overlay matches by. */
export function documentName(value: unknown): string | undefined {
  const metadata = isMapping(value) ? value['metadata'] : undefined;
  const name = isMapping(metadata) ? metadata['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}

/**
 * JSON Merge Patch (RFC 7386) of `patch` onto `base`: mappings merge key by key, recursively; a `null`
 * removes the key (also inside a mapping the base does not have, so a null never reaches the
 * validator); anything else (a scalar, a list) replaces whole. Lists are not merged by position:
 * `ports: [80]` in prod means exactly port 80, as a reader of prod's file expects.
 */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isMapping(patch)) return patch;
  const merged: Mapping = isMapping(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(merged[key], value);
  }
  return merged;
}

/**
 * The verdict on an overlay document `doc` whose name is declared by `base`: the merged value,
 * validated as any manifest document, with every problem located in the overlay (at the deepest field
 * on its path that the overlay wrote, else at its `metadata.name`) and saying what it was merged onto.
 * A malformed overlay mapping (duplicate or non-string keys, broken aliases) fails as written: the
 * merge works on plain values, which would hide those.
 */
export function mergeOverlay(doc: ParsedDocument, base: BaseDocument): DocumentVerdict {
  const fields = doc.fields();
  if (fields.issues.length > 0) return { instance: undefined, issues: fields.issues };
  const merged = mergePatch(base.value, doc.value);
  // the merged value goes through the same parser as a file does, so one validator decides; the text
  // is never shown: positions are moved back into the overlay below
  const judged = parseManifestFile(stringify(merged, { aliasDuplicateObjects: false }), doc.file);
  const at = fields.positions.get('metadata.name') ?? doc.start;
  const onto = `merged onto ${base.files.join(', ')}`;
  const issues = judged.issues.map((issue) => relocate(issue, positionFor(fields, issue.path, at), onto));
  const instance = issues.length === 0 ? judged.instances[0] : undefined;
  return { instance: instance === undefined ? undefined : locatedAt(instance, at), issues };
}

/** The same problem at `pos` of the overlay file, its message ending with what it was merged onto. */
function relocate(issue: ManifestIssue, pos: Readonly<{ file: string; line: number; col: number }>, onto: string): ManifestIssue {
  // makeIssue prefixes the path again: take the bare text back out of the message
  const text = issue.path === '' ? issue.message : issue.message.slice(issue.path.length + 2);
  return makeIssue(pos, issue.path, `${text} (${onto})`);
}

/** The merged instance, sourced at the overlay's `metadata.name`: the file that now declares it. */
function locatedAt(instance: DesiredInstance, at: Readonly<{ file: string; line: number; col: number }>): DesiredInstance {
  return Object.freeze({ ...instance, source: Object.freeze({ file: at.file, line: at.line, col: at.col }) });
}
