import { createHash, type Hash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import PQueue from 'p-queue';
import type { DesiredInstance } from '../domain/instance.js';
import { coerceError } from '../errors.js';
import { compileIgnoreRules, readIgnoreRules, type IgnoreRules } from './ignore-rules.js';
import { compareIssues, makeIssue, type ManifestIssue } from './issues.js';
import { parseManifestFile, type ParsedFile } from './parse.js';
import { defaultMaxFileBytes, describeFsError, readManifestFile, type FileRead } from './read-manifest-file.js';

/** The parse result of one file (or of a folder that could not be read) in a snapshot. */
export type FileResult = Readonly<{ instances: readonly DesiredInstance[]; issues: readonly ManifestIssue[] }>;

/** The whole manifest tree read at one moment. */
export type TreeSnapshot = Readonly<{
  /** git-sync target folder name when the manifests path is a symlink, else `sha256:<12 hex>` of the content. */
  revision: string;
  /** The resolved directory that was read. */
  root: string;
  /** False when any file (or folder) failed. */
  complete: boolean;
  /**
   * By path relative to `root` ('/' separators). Failed folders appear too, with no instances; a failure
   * of the root itself is the entry '.', and so is an ignore file that cannot be read (it decides what
   * the tree holds, so nothing else is read; its issue is located in `.reconcilerignore`).
   */
  files: ReadonlyMap<string, FileResult>;
  /** Every issue, sorted by file, line, col. */
  issues: readonly ManifestIssue[];
}>;

/**
 * Options of {@link loadTree}. `confineTo`: symlinks (and the root) must resolve inside this folder, else
 * they are issues and not followed: the git source passes the commit's tree, so a committed link cannot
 * make the daemon read files of the machine it runs on. `exclude`: gitignore-style patterns (relative to
 * the root) added after the root's `.reconcilerignore` (`--exclude`; default none).
 */
export type LoadTreeOptions = Readonly<{ maxFileBytes?: number; confineTo?: string; exclude?: readonly string[] }>;

/** `.yaml` and `.yml`, any case. */
export function isManifestName(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/**
 * Turns one file's text into instances and issues; `file` is its path relative to the root. loadTree uses
 * parseManifestFile; the layers of manifest/layers.ts pass one that merges overlay documents.
 */
export type FileParser = (text: string, file: string) => ParsedFile;

/** A tree as read, before the cross-file checks of {@link finishTree}: what layers.ts merges. */
export type TreeRead = Readonly<{ root: string; revision: string; files: Map<string, { instances: DesiredInstance[]; issues: ManifestIssue[] }> }>;

type Walk = {
  parse: FileParser;
  confine: string | undefined;
  maxFileBytes: number;
  rules: IgnoreRules;
  files: Map<string, { instances: DesiredInstance[]; issues: ManifestIssue[] }>;
  hash: Hash;
  visited: Set<string>;
};

/**
 * Reads every `*.yaml`/`*.yml` file under `dir` (recursively, in name order) into one snapshot.
 *
 * Contract: never throws for problems of the tree; they become issues. Hidden entries (name starting
 * with '.') are skipped at every level, which also skips `.git` and git-sync's `.worktrees`. Paths that
 * the root's `.reconcilerignore` or `options.exclude` ignore (gitignore syntax, `ignore-rules.ts`) are
 * never read: they are no issue and do not count in the revision. A folder named like a manifest
 * (`x.yaml/`) is walked like any folder. Symlinked files and folders are followed; a folder that leads
 * back to one of its parents is a "symlink loop" issue, a folder already read through another link is
 * skipped. A file that vanishes between listing and reading is an issue for that snapshot (never a
 * deletion). Duplicate `metadata.name`s across files add an issue to each file naming the other place.
 * When `dir` itself is a symlink (git-sync's `current`), `revision` is the basename of its target.
 */
export async function loadTree(dir: string, options: LoadTreeOptions = {}): Promise<TreeSnapshot> {
  return finishTree(await readTree(dir, options));
}

/** The walk of {@link loadTree} with its own parser, without the duplicate-name checks and the freeze. */
export async function readTree(dir: string, options: LoadTreeOptions = {}, parse: FileParser = parseManifestFile): Promise<TreeRead> {
  const absolute = resolve(dir);
  const maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;
  const walk: Walk = { parse, confine: undefined, maxFileBytes, rules: compileIgnoreRules(undefined, []), files: new Map(), hash: createHash('sha256'), visited: new Set() };
  let root = absolute;
  let linked = false;
  try {
    if (options.confineTo !== undefined) walk.confine = await realpath(options.confineTo);
    linked = (await lstat(absolute)).isSymbolicLink();
    root = await realpath(absolute);
    if (!isInside(walk, root)) throw Object.assign(new Error('it is a symlink that leads outside the repository'), { code: 'EXDEV' });
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (error: unknown) {
    addFailure(walk, '.', `cannot read the manifests directory ${absolute}: ${describeRootError(error)}`);
    return { root, revision: `sha256:${walk.hash.digest('hex').slice(0, 12)}`, files: walk.files };
  }
  const ignore = await readIgnoreRules(root, { exclude: options.exclude ?? [], maxFileBytes, isInside: (path) => isInside(walk, path) });
  if (ignore.kind === 'issue') {
    walk.hash.update(`.\0${ignore.issue.message}\0`);
    walk.files.set('.', { instances: [], issues: [ignore.issue] });
    return { root, revision: `sha256:${walk.hash.digest('hex').slice(0, 12)}`, files: walk.files };
  }
  walk.rules = ignore.rules;
  walk.visited.add(root);
  await walkFolder(walk, root, '', [root]);
  const digest = walk.hash.digest('hex').slice(0, 12);
  return { root, revision: linked ? basename(root) : `sha256:${digest}`, files: walk.files };
}

/** True without a confinement, or when `path` (resolved) is the confining folder or inside it. */
function isInside(walk: Walk, path: string): boolean {
  return walk.confine === undefined || path === walk.confine || path.startsWith(`${walk.confine}${sep}`);
}

/** File reads in flight at once within one folder: hides per-file I/O latency (stat, open, read, close). */
const readConcurrency = 16;

type Step =
  | Readonly<{ kind: 'file'; read: Promise<FileRead>; rel: string }>
  | Readonly<{ kind: 'folder'; absolute: string; rel: string }>
  | Readonly<{ kind: 'failure'; rel: string; message: string }>;

async function walkFolder(walk: Walk, folder: string, rel: string, ancestors: readonly string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error: unknown) {
    // a folder removed while we walk is a change in progress, like a vanished file; any other failure
    // blocks what it held. Either way the files under it keep their last good state.
    const changing = (error as { code?: unknown }).code === 'ENOENT';
    addFailure(walk, rel === '' ? '.' : rel, changing ? 'changed while being read (folder removed mid-read); it is read again on the next change' : `cannot read folder: ${describeFsError(error)}`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Plan the folder in name order and start its file reads together (bounded); then apply the results in
  // the same order, so the revision hash and the snapshot do not depend on which read finished first.
  const reads = new PQueue({ concurrency: readConcurrency });
  const steps: Step[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const step = await planEntry(walk, folder, rel === '' ? entry.name : `${rel}/${entry.name}`, entry, reads);
    if (step !== undefined) steps.push(step);
  }
  for (const step of steps) {
    if (step.kind === 'failure') addFailure(walk, step.rel, step.message);
    else if (step.kind === 'folder') await enterFolder(walk, step.absolute, step.rel, ancestors);
    else applyRead(walk, step.rel, await step.read);
  }
}

/** What to do with one (non-hidden) entry of a folder; undefined to pass it by (ignored, or not a manifest). */
async function planEntry(walk: Walk, folder: string, child: string, entry: Dirent, reads: PQueue): Promise<Step | undefined> {
  const absolute = join(folder, entry.name);
  let isDirectory = entry.isDirectory();
  if (entry.isSymbolicLink()) {
    try {
      isDirectory = (await stat(absolute)).isDirectory();
    } catch (error: unknown) {
      const code = (error as { code?: unknown }).code;
      // a dangling link that is ignored, or not named like a manifest, is not ours to judge (e.g. a README link)
      if (walk.rules.ignores(child, false)) return undefined;
      return code === 'ELOOP' || isManifestName(entry.name) ? { kind: 'failure', rel: child, message: describeFsError(error) } : undefined;
    }
  }
  // before the confinement check: an ignored link that leads outside is not even looked at
  if (walk.rules.ignores(child, isDirectory)) return undefined;
  if (entry.isSymbolicLink() && walk.confine !== undefined && !isInside(walk, await realpath(absolute).catch(() => ''))) {
    return isDirectory || isManifestName(entry.name) ? { kind: 'failure', rel: child, message: 'symlink leads outside the repository: not followed' } : undefined;
  }
  if (isDirectory) return { kind: 'folder', absolute, rel: child };
  if (isManifestName(entry.name)) return { kind: 'file', rel: child, read: reads.add(() => readManifestFile(absolute, child, walk.maxFileBytes)) };
  return undefined;
}

async function enterFolder(walk: Walk, absolute: string, rel: string, ancestors: readonly string[]): Promise<void> {
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code !== 'ENOENT') addFailure(walk, rel, `cannot read folder: ${describeFsError(error)}`);
    return;
  }
  if (ancestors.includes(real)) {
    addFailure(walk, rel, 'symlink loop: this folder leads back to one of its parents');
    return;
  }
  // the same folder reached through a second link: its files were (or will be) read once already
  if (walk.visited.has(real)) return;
  walk.visited.add(real);
  await walkFolder(walk, real, rel, [...ancestors, real]);
}

function applyRead(walk: Walk, rel: string, read: FileRead): void {
  if (read.kind === 'vanished') {
    // Listed, then gone before it could be read: a save or checkout in progress. Not a deletion: the
    // snapshot is incomplete (its instances keep their last good state, removals freeze) until the
    // event that the change also produced triggers the next read.
    addFailure(walk, rel, 'changed while being read (deleted or replaced mid-read); it is read again on the next change');
    return;
  }
  walk.hash.update(`${rel}\0`);
  if (read.kind === 'issue') {
    walk.hash.update(`${read.issue.message}\0`);
    walk.files.set(rel, { instances: [], issues: [read.issue] });
    return;
  }
  walk.hash.update(read.bytes);
  walk.hash.update('\0');
  try {
    const parsed = walk.parse(read.text, rel);
    walk.files.set(rel, { instances: parsed.instances, issues: parsed.issues });
  } catch (e: unknown) {
    // a parser bug must cost this file only, never the whole tree: report it where it happened
    walk.files.set(rel, { instances: [], issues: [makeIssue({ file: rel, line: 1, col: 1 }, '', `internal error while parsing: ${coerceError(e).message}`)] });
  }
}

function addFailure(walk: Walk, rel: string, message: string): void {
  walk.hash.update(`${rel}\0${message}\0`);
  walk.files.set(rel, { instances: [], issues: [makeIssue({ file: rel, line: 1, col: 1 }, '', message)] });
}

function describeRootError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'not found (ENOENT)';
  if (code === 'ENOTDIR') return 'not a directory (ENOTDIR)';
  if (code === 'EXDEV') return 'a symlink that leads outside the repository: not followed';
  return describeFsError(error);
}

/**
 * Adds duplicate-name issues to every file involved: a `metadata.name` declared twice across files, and
 * a Rancher name (`spec.name`, which defaults to `metadata.name`) used by two manifests, which would
 * make both claim the same container.
 */
function addDuplicateIssues(
  files: TreeRead['files'],
  nameOf: (instance: DesiredInstance) => string,
  clash: (a: DesiredInstance, b: DesiredInstance) => boolean,
  describe: (instance: DesiredInstance, other: DesiredInstance, at: string) => [string, string],
): void {
  const declared = new Map<string, DesiredInstance[]>();
  for (const result of files.values()) {
    for (const instance of result.instances) declared.set(nameOf(instance), [...(declared.get(nameOf(instance)) ?? []), instance]);
  }
  for (const places of declared.values()) {
    if (places.length < 2) continue;
    for (const place of places) {
      const others = places.filter((candidate) => candidate !== place && clash(place, candidate));
      const other = others.find((candidate) => candidate.source.file !== place.source.file) ?? others[0];
      if (other === undefined) continue;
      const [path, text] = describe(place, other, `${other.source.file}:${other.source.line}:${other.source.col}`);
      files.get(place.source.file)?.issues.push(makeIssue(place.source, path, text));
    }
  }
}

/** Adds an issue to each place of a `metadata.name` declared twice across `files`. */
export function addDuplicateKeyIssues(files: TreeRead['files']): void {
  addDuplicateIssues(files, (i) => i.key, () => true, (i, _other, at) => ['metadata.name', `${JSON.stringify(i.key)} is also declared at ${at}`]);
}

/**
 * Adds duplicate-name issues, sorts and freezes: the last step of {@link loadTree}. layers.ts checks the
 * keys of each layer on its own (the same key in a later layer is an override) and passes `keysChecked`.
 */
export function finishTree(read: TreeRead, options: Readonly<{ keysChecked?: boolean }> = {}): TreeSnapshot {
  const { root, revision } = read;
  if (options.keysChecked !== true) addDuplicateKeyIssues(read.files);
  addDuplicateIssues(
    read.files,
    (i) => i.spec.name,
    // the same key twice is already reported above
    (a, b) => a.key !== b.key,
    (i, other, at) => ['spec.name', `Rancher name ${JSON.stringify(i.spec.name)} is also used by ${JSON.stringify(other.key)} at ${at}`],
  );
  const files = new Map<string, FileResult>();
  const issues: ManifestIssue[] = [];
  for (const rel of [...read.files.keys()].sort()) {
    const result = read.files.get(rel);
    if (result === undefined) continue;
    result.issues.sort(compareIssues);
    files.set(rel, Object.freeze({ instances: Object.freeze(result.instances), issues: Object.freeze(result.issues) }));
    issues.push(...result.issues);
  }
  issues.sort(compareIssues);
  return Object.freeze({ revision, root, complete: issues.length === 0, files, issues: Object.freeze(issues) });
}
