/**
 * Small filesystem helpers shared by the state dir's files (the inventory and the state lock's owner
 * record): an atomic replace and a realm-safe errno check.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Marker between a file's name and the suffix of its temp files (`inventory.json.tmp-<pid>-<hex>`). */
export const tempMarker = '.tmp-';

/** Whether `error` is an fs error with one of `codes`. Duck-typed: fs errors can come from another realm (jest's vm), where `instanceof Error` is false. */
export function isErrno(error: unknown, ...codes: string[]): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && codes.includes(code);
}

/**
 * Writes `data` to `path` so that readers (and a crash) only ever see the old or the new content:
 * a temp file in the same folder is written and fsynced, renamed over `path`, then the folder is fsynced
 * so the rename itself is durable. The temp file is removed on failure. Throws the fs error.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = `${path}${tempMarker}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(temp, 'w', mode);
    try {
      await file.writeFile(data, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e: unknown) {
    await unlink(temp).catch(() => undefined); // best effort: the write already failed (the inventory cleans its leftovers at load)
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch (e: unknown) {
    // Some platforms and filesystems cannot fsync a directory; the rename is still atomic there.
    if (!isErrno(e, 'EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP')) throw e;
  } finally {
    await dir.close();
  }
}
