import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { makeIssue, type ManifestIssue } from './issues.js';

/** Default cap on one manifest file: 5 MiB. */
export const defaultMaxFileBytes = 5 * 1024 * 1024;

/** What reading one file gave: its text, a located problem, or nothing because it vanished meanwhile. */
export type FileRead =
  | Readonly<{ kind: 'text'; text: string; bytes: Uint8Array }>
  | Readonly<{ kind: 'issue'; issue: ManifestIssue }>
  | Readonly<{ kind: 'vanished' }>;

/** Turns a Node fs error code into the words of a manifest issue. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ELOOP':
      return 'symlink loop';
    case 'EACCES':
    case 'EPERM':
      return `cannot read: permission denied (${code})`;
    case 'ENOENT':
      return 'broken symlink: its target does not exist';
    case 'EISDIR':
      return 'is a directory, not a manifest file';
    default:
      return `cannot read: ${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Reads one manifest file safely: the size is checked on the open handle before anything is read
 * (a 10 MB file is never loaded), at most `maxFileBytes + 1` bytes are read in case it grew meanwhile,
 * and the bytes are decoded as strict UTF-8 (an invalid sequence is reported at its line and column).
 * A file deleted between readdir and open is `vanished`, not an error: the next event re-reads the tree.
 *
 * @param absolute the file to read (symlinks are followed)
 * @param file the path reported in issues, relative to the tree root
 */
export async function readManifestFile(absolute: string, file: string, maxFileBytes: number): Promise<FileRead> {
  const at = { file, line: 1, col: 1 };
  try {
    // checked on the path first so that a FIFO or socket named x.yaml is never opened (open would block)
    const first = await stat(absolute);
    if (first.isDirectory()) return { kind: 'issue', issue: makeIssue(at, '', 'is a directory, not a manifest file') };
    if (!first.isFile()) return { kind: 'issue', issue: makeIssue(at, '', 'not a regular file') };
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code === 'ENOENT' && !(await isSymlink(absolute))) return { kind: 'vanished' };
    return { kind: 'issue', issue: makeIssue(at, '', describeFsError(error)) };
  }
  let handle: FileHandle;
  try {
    handle = await open(absolute, 'r');
  } catch (error: unknown) {
    // deleted between readdir and open (an editor's atomic save, a git checkout): skip, the watcher re-reads
    if ((error as { code?: unknown }).code === 'ENOENT') return { kind: 'vanished' };
    return { kind: 'issue', issue: makeIssue(at, '', describeFsError(error)) };
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) return { kind: 'issue', issue: makeIssue(at, '', 'is a directory, not a manifest file') };
    if (!stats.isFile()) return { kind: 'issue', issue: makeIssue(at, '', 'not a regular file') };
    if (stats.size > maxFileBytes) return { kind: 'issue', issue: tooLarge(file, stats.size, maxFileBytes) };
    const buffer = new Uint8Array(stats.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxFileBytes) return { kind: 'issue', issue: tooLarge(file, length, maxFileBytes) };
    const bytes = buffer.subarray(0, length);
    return decodeUtf8(bytes, file);
  } catch (error: unknown) {
    return { kind: 'issue', issue: makeIssue(at, '', describeFsError(error)) };
  } finally {
    await handle.close();
  }
}

async function isSymlink(absolute: string): Promise<boolean> {
  try {
    return (await lstat(absolute)).isSymbolicLink();
  } catch {
    // gone entirely: not a broken symlink, just a vanished file
    return false;
  }
}

function tooLarge(file: string, size: number, limit: number): ManifestIssue {
  return makeIssue({ file, line: 1, col: 1 }, '', `file is ${size} bytes, over the limit of ${limit} bytes`);
}

/** Strict UTF-8 decoding; on failure, locates the first bad byte as line:col (col in characters). */
export function decodeUtf8(bytes: Uint8Array, file: string): FileRead {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { kind: 'text', text, bytes };
  } catch {
    // fatal decoding says only "invalid"; decode again leniently to find where the first U+FFFD landed
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const index = Math.max(0, lenient.indexOf('\uFFFD'));
    const before = lenient.slice(0, index);
    const line = before.split('\n').length;
    const col = index - (before.lastIndexOf('\n') + 1) + 1;
    return { kind: 'issue', issue: makeIssue({ file, line, col }, '', 'not valid UTF-8 text') };
  }
}
