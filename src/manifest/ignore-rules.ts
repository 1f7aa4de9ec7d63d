/**
 * Which paths of a manifest tree are not manifests: the `.reconcilerignore` file at the manifests root
 * plus the `--exclude` patterns, both in gitignore syntax. A real ops repository keeps
 * `docker-compose.yml`, `rancher-compose.yml`, CI files and READMEs next to its manifests; without a
 * way to leave them out, such a tree would never be valid.
 */
import { lstat, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';
import { makeIssue, type ManifestIssue } from './issues.js';
import { readManifestFile } from './read-manifest-file.js';

/** The ignore file's name; it is read only at the manifests root (not in sub-folders, unlike git). */
export const ignoreFileName = '.reconcilerignore';

/** A compiled set of ignore rules. */
export type IgnoreRules = Readonly<{
  /**
   * Whether `rel` (relative to the manifests root, '/' separators, never '' or '.') is ignored.
   * `isDirectory` matters for patterns that end in '/' (`docs/`), as in git.
   */
  ignores(rel: string, isDirectory: boolean): boolean;
}>;

/**
 * Compiles the ignore file's text (undefined when there is none) and the `--exclude` patterns into one
 * rule set. Pure. gitignore semantics, as the `ignore` package implements them (the one eslint uses):
 * blank lines and `#` comments are skipped, `!` re-includes, a leading `/` anchors to the manifests
 * root, a trailing `/` matches folders only, `**` spans folders, and a file inside an ignored folder
 * cannot be re-included. The `--exclude` patterns come after the file's lines, so they win (later rules
 * win in gitignore). Matching is case-sensitive, as git's on Linux.
 */
export function compileIgnoreRules(fileText: string | undefined, exclude: readonly string[]): IgnoreRules {
  const matcher = ignore({ ignorecase: false });
  if (fileText !== undefined) matcher.add(fileText);
  matcher.add([...exclude]);
  return Object.freeze({ ignores: (rel: string, isDirectory: boolean) => matcher.ignores(isDirectory ? `${rel}/` : rel) });
}

/**
 * Adds one `--exclude` value to the patterns given before it: a comma list, trimmed, blanks dropped, as
 * the option table reads `repeatable` options (`--exclude a --exclude b,c` = `a`, `b`, `c`). Shaped as
 * a commander argument parser for `validate`, which has its own options.
 */
export function addExcludeValue(value: string, previous: readonly string[]): string[] {
  return [...previous, ...value.split(',').map((pattern) => pattern.trim()).filter((pattern) => pattern !== '')];
}

/** What {@link readIgnoreRules} found: the rules, or the problem that keeps the ignore file from being read. */
export type IgnoreRead = Readonly<{ kind: 'rules'; rules: IgnoreRules }> | Readonly<{ kind: 'issue'; issue: ManifestIssue }>;

/** Options of {@link readIgnoreRules}. `isInside`: whether a resolved path may be read (the git source's confinement). */
export type ReadIgnoreOptions = Readonly<{ exclude: readonly string[]; maxFileBytes: number; isInside?: (path: string) => boolean }>;

/**
 * Reads `<root>/.reconcilerignore` with the same guards as a manifest (size cap before reading, UTF-8,
 * regular file, confinement of a symlink) and compiles it with `exclude`; no file means no rules of its
 * own. An ignore file that exists but cannot be read is an issue located in it, not "no rules": without
 * its rules the tree would apply manifests it keeps out (a `staging/` folder, say). Never throws.
 */
export async function readIgnoreRules(root: string, options: ReadIgnoreOptions): Promise<IgnoreRead> {
  const absolute = join(root, ignoreFileName);
  const at = { file: ignoreFileName, line: 1, col: 1 };
  if (!(await exists(absolute))) return { kind: 'rules', rules: compileIgnoreRules(undefined, options.exclude) };
  if (options.isInside !== undefined) {
    // a broken link is left to readManifestFile, which words it
    const real = await realpath(absolute).catch(() => undefined);
    if (real !== undefined && !options.isInside(real)) return { kind: 'issue', issue: unreadable(makeIssue(at, '', 'symlink leads outside the repository: not followed')) };
  }
  const read = await readManifestFile(absolute, ignoreFileName, options.maxFileBytes);
  if (read.kind === 'text') return { kind: 'rules', rules: compileIgnoreRules(read.text, options.exclude) };
  // there a moment ago, gone now: an editor replacing it; its own event triggers the next read
  if (read.kind === 'vanished') return { kind: 'issue', issue: unreadable(makeIssue(at, '', 'changed while being read (deleted or replaced mid-read); it is read again on the next change')) };
  return { kind: 'issue', issue: unreadable(read.issue) };
}

/** What an unreadable ignore file costs, said after its problem. */
const unreadableIgnoreSuffix = ' (no manifest is read until this file can be read)';

function unreadable(issue: ManifestIssue): ManifestIssue {
  return Object.freeze({ ...issue, message: `${issue.message}${unreadableIgnoreSuffix}` });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error: unknown) {
    // any other failure (EACCES on the folder, ...) is worded by readManifestFile
    return (error as { code?: unknown }).code !== 'ENOENT';
  }
}
