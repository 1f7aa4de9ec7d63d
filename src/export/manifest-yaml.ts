/**
 * Manifest documents as YAML text, through the `yaml` package's Document API. Every string that a YAML
 * reader could take for something else is double-quoted: what YAML 1.2 (our parser,
 * src/manifest/parse.ts) reads as a number, boolean or null (`"true"`, `"0123"`, `"1.10"`, `"null"`),
 * and what YAML 1.1 readers (many editors and tools) read so (`"yes"`, `"on"`, `"0o17"`, `"12:30"`).
 * A value thus reads back exactly as Rancher reported it, and `validate` never asks to quote it. Pure.
 */
import { Document, isScalar, parse, Scalar, visit } from 'yaml';
import type { ManifestDocument } from './live-to-manifest.js';
import { schemaModeline } from './schema-url.js';

/** Whether `text`, written plain, would read back as anything but the same string under YAML 1.1 or 1.2 (or as a merge key). */
export function needsQuotes(text: string): boolean {
  // a plain `<<` key is a merge key to our parser (merge: true); a quoted one is a plain name
  if (text === '<<') return true;
  for (const version of ['1.2', '1.1'] as const) {
    try {
      if (parse(text, { version }) !== text) return true;
    } catch {
      // not a plain scalar at all (an alias, a flow start, a directive): quoting keeps it a string
      return true;
    }
  }
  return false;
}

/** One document, every ambiguous string (keys too) double-quoted. */
export function toYamlDocument(manifest: ManifestDocument): Document {
  const doc = new Document(manifest);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && needsQuotes(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc;
}

/** The YAML of one document, without the modeline; long strings are never folded. */
export function renderDocument(manifest: ManifestDocument): string {
  return toYamlDocument(manifest).toString({ lineWidth: 0 });
}

/**
 * A manifest file: the yaml-language-server modeline (src/export/schema-url.ts), then the documents
 * separated by `---`. Empty for no documents.
 */
export function renderManifestFile(manifests: readonly ManifestDocument[]): string {
  if (manifests.length === 0) return '';
  return `#${schemaModeline}\n${manifests.map(renderDocument).join('---\n')}`;
}
