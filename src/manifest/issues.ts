/**
 * Manifest problems as data. Every check in `src/manifest/` reports a {@link ManifestIssue} instead of
 * throwing, so that one run lists every problem of every file at once.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * One located problem. `file` is relative to the manifest tree root ('/' separators; '.' for the root
 * itself), `line`/`col` are 1-based, `path` is the field path (`spec.environment.FOO`, '' for the file or
 * document) and `message` already starts with that path, so {@link formatIssue} needs nothing else.
 */
export type ManifestIssue = Readonly<{ file: string; line: number; col: number; path: string; message: string }>;

/** Renders an issue as `file:line:col: message`, the format editors and CI annotations understand. */
export function formatIssue(issue: ManifestIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/**
 * The path to show for an issue's `file` to someone working in `cwd`: relative to `cwd` when the file is
 * inside it (`manifests/web.yaml`, or `.` for the root itself), else absolute (`/srv/manifests/web.yaml`):
 * never a climb like `../../srv/manifests/web.yaml`, which says less and breaks when copied elsewhere.
 * Pure (path arithmetic only).
 *
 * @param root the manifests folder as given (absolute, or relative to `cwd`), not its realpath
 * @param file the issue's `file`: relative to `root` with '/' separators, '.' for the root itself
 */
export function displayPath(cwd: string, root: string, file: string): string {
  const absolute = resolve(cwd, root, file);
  const shown = relative(cwd, absolute);
  if (shown === '') return '.';
  return shown === '..' || shown.startsWith(`..${sep}`) || isAbsolute(shown) ? absolute : shown;
}

/**
 * Builds an issue whose message is prefixed with its field path (`spec.memory: expected ...`), or left
 * as is when the path is '' (a problem of the whole file or document).
 */
export function makeIssue(where: Readonly<{ file: string; line: number; col: number }>, path: string, text: string): ManifestIssue {
  return Object.freeze({ file: where.file, line: where.line, col: where.col, path, message: path === '' ? text : `${path}: ${text}` });
}

/** Orders issues by file, then line, then column, then message: the order `validate` prints them in. */
export function compareIssues(a: ManifestIssue, b: ManifestIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.col !== b.col) return a.col - b.col;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
