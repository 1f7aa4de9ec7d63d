/**
 * Telling a compose file apart from a broken manifest. Ops repositories keep `docker-compose.yml` and
 * `rancher-compose.yml` beside their manifests; parsed as manifests they fail with a screenful of
 * "required field is missing" and "unknown field", none of which says what to do. One line that does is
 * better.
 */
import { isMap, isScalar, type Document } from 'yaml';
import { makeIssue, type ManifestIssue } from './issues.js';

/** The hint's words; the README and the tests quote them. */
export const composeHintMessage = 'looks like a docker-compose/rancher-compose file, not a manifest: add it to .reconcilerignore (or --exclude)';

/** `docker-compose*.yml`, `rancher-compose*.yaml`, `compose.yml`, `compose.prod.yaml`, ...: any case, `.yml` or `.yaml`. */
const composeName = /^(?:docker-|rancher-)?compose(?:[._-][^/]*)?\.ya?ml$/i;

/**
 * Whether a file is a compose file rather than a manifest. Pure. It is one when no document has a
 * top-level `apiVersion` or `kind` (a manifest with mistakes keeps its own errors, whatever its name)
 * and either a document has a top-level `services` (compose v2 and v3, with or without `version`) or
 * the file is named like one (`docker-compose*`, `rancher-compose*`, `compose*`, which also covers the
 * v1 formats whose top level is the services themselves).
 *
 * @param file the path relative to the manifest tree root ('/' separators)
 * @param topLevelKeys the top-level keys of each document that is a mapping
 */
export function looksLikeCompose(file: string, topLevelKeys: readonly (readonly string[])[]): boolean {
  if (topLevelKeys.some((keys) => keys.includes('apiVersion') || keys.includes('kind'))) return false;
  if (topLevelKeys.some((keys) => keys.includes('services'))) return true;
  return composeName.test(file.slice(file.lastIndexOf('/') + 1));
}

/**
 * The one issue that replaces the errors of a compose file (`file:1:1: looks like a ...`), or undefined
 * when the file does not look like one. Call it only for a file that has errors: a valid manifest is
 * never a compose file, whatever its name.
 */
export function composeHint(file: string, docs: readonly Document.Parsed[]): ManifestIssue | undefined {
  const keys = docs.flatMap((doc) => (isMap(doc.contents) ? [doc.contents.items.flatMap((item) => (isScalar(item.key) ? [String(item.key.value)] : []))] : []));
  return looksLikeCompose(file, keys) ? makeIssue({ file, line: 1, col: 1 }, '', composeHintMessage) : undefined;
}
