/**
 * What `validate` found: the manifest files and folders it was given, read the way the daemon reads them,
 * as one report. `validate -o json` prints the report as it is; the text output is {@link renderValidateText}.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { formatIssue, makeIssue, type ManifestIssue } from '../manifest/issues.js';
import { plural } from '../plural.js';
import { loadTree, type FileResult, type LoadTreeOptions } from '../manifest/load-tree.js';
import { parseManifestFile } from '../manifest/parse.js';
import { defaultMaxFileBytes, readManifestFile } from '../manifest/read-manifest-file.js';

/** One instance that validated, located at its `metadata.name` value. */
export type ValidatedInstance = Readonly<{ name: string; file: string; line: number; col: number }>;

/**
 * The result of one `validate` run, the JSON document of `-o json`. Paths are as shown to the user
 * (see {@link ShowPath}); `issues` are sorted per argument, arguments in the order given.
 */
export type ValidateReport = Readonly<{
  valid: boolean;
  files: readonly string[];
  instances: readonly ValidatedInstance[];
  issues: readonly ManifestIssue[];
  counts: Readonly<{ files: number; instances: number; errors: number }>;
}>;

/**
 * How a path is shown: `root` is the absolute folder an issue's `file` is relative to (the folder
 * argument, or the folder of a file argument), `file` is '.' for the root itself.
 */
export type ShowPath = (root: string, file: string) => string;

/**
 * Reads every target (relative to `cwd`) and validates it. A folder is a manifest tree (`loadTree` with
 * `options.tree`: names unique across it, hidden and excluded entries skipped); a file is read and
 * validated on its own, whatever its name (naming it is asking for it, so no exclusion applies).
 * Each target is checked on its own: a name declared in two targets is not reported. A target that does
 * not exist is one located issue. Never throws for problems of the manifests.
 */
export async function validateTargets(
  targets: readonly string[],
  options: Readonly<{ cwd: string; show: ShowPath; tree?: LoadTreeOptions }>,
): Promise<ValidateReport> {
  const files: string[] = [];
  const instances: ValidatedInstance[] = [];
  const issues: ManifestIssue[] = [];
  for (const target of targets) {
    const absolute = resolve(options.cwd, target);
    const read = (await isFile(absolute)) ? await readOneFile(absolute) : await readFolder(absolute, options.tree ?? {});
    const show = (file: string): string => options.show(read.root, file);
    for (const [file, result] of read.files) {
      if (file !== '.') files.push(show(file));
      for (const instance of result.instances) instances.push({ name: instance.key, file: show(instance.source.file), line: instance.source.line, col: instance.source.col });
    }
    issues.push(...read.issues.map((issue) => ({ ...issue, file: show(issue.file) })));
  }
  return {
    valid: issues.length === 0,
    files,
    instances,
    issues,
    counts: { files: files.length, instances: instances.length, errors: issues.length },
  };
}

/** The text output: every issue as `file:line:col: message`, then `N files, M instances, K errors` (`1 file`, ...). */
export function renderValidateText(report: ValidateReport): string {
  const lines = report.issues.map(formatIssue);
  lines.push(`${plural(report.counts.files, 'file')}, ${plural(report.counts.instances, 'instance')}, ${plural(report.counts.errors, 'error')}`);
  return `${lines.join('\n')}\n`;
}

type TargetRead = Readonly<{ root: string; files: ReadonlyMap<string, FileResult>; issues: readonly ManifestIssue[] }>;

async function isFile(absolute: string): Promise<boolean> {
  try {
    return (await stat(absolute)).isFile();
  } catch {
    // missing or unreadable: loadTree reports it, located, as it does for --manifests
    return false;
  }
}

async function readFolder(absolute: string, tree: LoadTreeOptions): Promise<TargetRead> {
  const snapshot = await loadTree(absolute, tree);
  return { root: absolute, files: snapshot.files, issues: snapshot.issues };
}

async function readOneFile(absolute: string): Promise<TargetRead> {
  const name = basename(absolute);
  const read = await readManifestFile(absolute, name, defaultMaxFileBytes);
  const result: FileResult =
    read.kind === 'text'
      ? parseManifestFile(read.text, name)
      : { instances: [], issues: [read.kind === 'issue' ? read.issue : makeIssue({ file: name, line: 1, col: 1 }, '', 'changed while being read (deleted mid-read)')] };
  return { root: dirname(absolute), files: new Map([[name, result]]), issues: result.issues };
}
