import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TimerHandle } from '../clock.js';
import { ReconcilerError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseSnapshot, type StoreSnapshot } from './store-snapshot.js';
import type { TimerSet } from './timers.js';

/** Delay from a change to its debounced save, ms on the emulator clock. */
export const saveDebounceMs = 50;

/**
 * Reads a data file. Resolves undefined when it does not exist yet (a first start); throws ReconcilerError
 * `ERR_EMULATOR` naming the file when it cannot be read or is corrupt.
 */
export async function readStoreFile(file: string): Promise<StoreSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ReconcilerError('ERR_EMULATOR', `cannot read emulator data file ${file}: ${coerceError(error).message}`, { cause: error });
  }
  return parseSnapshot(text, file);
}

/** Replaces `file` crash-safely: a temp file written and fsynced, renamed over it, then the folder fsynced. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  const folder = await open(dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Dependencies of {@link StoreFile}. */
export type StoreFileDeps = Readonly<{
  file: string;
  timers: TimerSet;
  /** Builds the snapshot to save, at save time. */
  snapshot: () => StoreSnapshot;
  log: Logger;
}>;

/**
 * Saves the emulator store to its data file: debounced ({@link saveDebounceMs}) after changes, at once
 * on {@link flush} (several flushes share one write: a group commit), and a last time on {@link close}.
 * A failed background save is logged and retried with the next change; a failed final save rejects close.
 */
export class StoreFile {
  readonly #deps: StoreFileDeps;
  /** Bumped on every change; a write saves the generation it snapshotted. */
  #generation = 0;
  #saved = 0;
  #writing: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(deps: StoreFileDeps) {
    this.#deps = deps;
  }

  /** Records a change; it is saved within the debounce delay. */
  markDirty(): void {
    if (this.#closed) return;
    this.#generation += 1;
    this.#schedule();
  }

  /** Resolves once every change made before the call is on disk; rejects when that write fails. */
  async flush(): Promise<void> {
    const target = this.#generation;
    while (this.#saved < target) {
      if (this.#writing) {
        await this.#writing.catch(() => undefined);
        continue;
      }
      if (this.#timer) this.#deps.timers.cancel(this.#timer);
      this.#timer = undefined;
      const generation = this.#generation;
      const write = writeAtomically(this.#deps.file, JSON.stringify(this.#deps.snapshot()));
      this.#writing = write;
      try {
        await write;
      } finally {
        this.#writing = undefined;
      }
      this.#saved = Math.max(this.#saved, generation);
      // changes made while writing wait for their own debounced save (a failed write waits for the next change)
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#writing !== undefined || this.#saved >= this.#generation) return;
    this.#timer = this.#deps.timers.schedule(() => {
      this.#timer = undefined;
      this.flush().catch((error: unknown) => this.#deps.log.error({ err: coerceError(error), file: this.#deps.file }, 'emulator data file save failed'));
    }, saveDebounceMs);
  }

  /** Writes what is not saved yet, then stops saving. Rejects with ERR_EMULATOR naming the file on failure. */
  async close(): Promise<void> {
    if (this.#timer) this.#deps.timers.cancel(this.#timer);
    this.#timer = undefined;
    try {
      await this.flush();
    } catch (error: unknown) {
      throw new ReconcilerError('ERR_EMULATOR', `saving emulator data file ${this.#deps.file} failed: ${coerceError(error).message}`, { cause: error });
    } finally {
      this.#closed = true;
    }
  }
}
