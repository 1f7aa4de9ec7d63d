/**
 * The inventory: which Rancher container each manifest key owns, and the last restart token applied.
 * A small versioned JSON file in the state directory, replaced atomically (temp file in the same folder,
 * fsync, rename over, fsync the folder), so a crash at any moment leaves the old file or the new one.
 * Losing it is safe (DESIGN.md): instances are re-adopted by name and nothing unknown is pruned.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../clock.js';
import { coerceError, ReconcilerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';

export const inventoryFileName = 'inventory.json';
const tempMarker = '.tmp-';

/** The file format. `version` changes only with an incompatible change. */
export type InventoryFile = Readonly<{ version: 1; entries: Readonly<Record<InstanceKey, InventoryEntry>> }>;

/** Duck-typed: fs errors can come from another realm (jest's vm), where `instanceof Error` is false. */
function isErrno(error: unknown, ...codes: string[]): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && codes.includes(code);
}

/**
 * Writes `data` to `path` so that readers (and a crash) only ever see the old or the new content:
 * a temp file in the same folder is written and fsynced, renamed over `path`, then the folder is fsynced
 * so the rename itself is durable. The temp file is removed on failure. Throws the fs error.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}${tempMarker}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(data, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e: unknown) {
    await unlink(temp).catch(() => undefined); // best effort: the write already failed; a leftover is cleaned at load
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

function corrupt(file: string, why: string, cause?: unknown): ReconcilerError {
  return new ReconcilerError('ERR_INVENTORY_CORRUPT', `inventory ${file} is corrupt: ${why}`, { cause });
}

function isEntry(key: string, value: unknown): value is InventoryEntry {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    e['key'] === key &&
    typeof e['id'] === 'string' &&
    (e['uuid'] === null || typeof e['uuid'] === 'string') &&
    typeof e['name'] === 'string' &&
    (e['origin'] === 'created' || e['origin'] === 'adopted') &&
    (e['restartToken'] === undefined || typeof e['restartToken'] === 'string') &&
    (e['stopTimeout'] === undefined || typeof e['stopTimeout'] === 'number') &&
    typeof e['createdAt'] === 'string' &&
    typeof e['updatedAt'] === 'string'
  );
}

/** Parses and validates inventory JSON. Throws ERR_INVENTORY_CORRUPT (torn, not JSON, wrong shape or version). */
export function parseInventory(text: string, file: string): Map<InstanceKey, InventoryEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    throw corrupt(file, 'not valid JSON', e);
  }
  if (parsed === null || typeof parsed !== 'object') throw corrupt(file, 'not an object');
  const doc = parsed as Record<string, unknown>;
  if (doc['version'] !== 1) throw corrupt(file, `unsupported version ${JSON.stringify(doc['version'])}`);
  const entries = doc['entries'];
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) throw corrupt(file, 'entries is not an object');
  const result = new Map<InstanceKey, InventoryEntry>();
  for (const [key, value] of Object.entries(entries)) {
    if (!isEntry(key, value)) throw corrupt(file, `entry "${key}" has the wrong shape`);
    result.set(key, value);
  }
  return result;
}

/** Serialises entries sorted by key (stable diffs), with a trailing newline. */
export function serializeInventory(entries: Iterable<InventoryEntry>): string {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const file: InventoryFile = { version: 1, entries: Object.fromEntries(sorted.map((e) => [e.key, e])) };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads an inventory file: `undefined` when missing; throws ERR_INVENTORY_CORRUPT or ERR_INVENTORY_IO. */
export async function readInventoryFile(path: string): Promise<Map<InstanceKey, InventoryEntry> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw new ReconcilerError('ERR_INVENTORY_IO', `read inventory ${path} failed`, { cause: e, retryable: true });
  }
  return parseInventory(text, path);
}

export type InventoryDeps = Readonly<{
  /** The state directory; created when missing. */
  stateDir: string;
  clock: Clock;
  log: Logger;
  /** Default `inventory.json`. */
  fileName?: string;
}>;

/** What `load` found. `quarantined` is the path a corrupt file was moved to. */
export type InventoryLoadResult = Readonly<{ entries: number; quarantined?: string }>;

/**
 * The in-memory inventory with a coalescing, serialised writer. `set`/`delete` change memory at once and
 * schedule a write (rapid changes in one tick share a write; at most one write runs at a time); use
 * `setAndFlush` when the record must be on disk before continuing (right after a create).
 */
export class Inventory {
  readonly #path: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #entries = new Map<InstanceKey, InventoryEntry>();
  /** Rancher id -> the key that owns it, kept with #entries. */
  readonly #owners = new Map<string, InstanceKey>();
  #dirty = false;
  #writer: Promise<void> | undefined;
  #writes = 0;

  constructor(deps: InventoryDeps) {
    this.#path = join(deps.stateDir, deps.fileName ?? inventoryFileName);
    this.#clock = deps.clock;
    this.#log = deps.log;
  }

  /** The inventory file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * Reads the file into memory (replacing what is there) and removes temp files left by a crash.
   * Missing file: empty. Corrupt file: with `onCorrupt: 'quarantine'` (default) it is renamed to
   * `<file>.corrupt-<timestamp>`, logged, and the inventory starts empty (safe: re-adoption by name);
   * with `'throw'` the ERR_INVENTORY_CORRUPT error is thrown and nothing is moved. I/O errors throw
   * ERR_INVENTORY_IO.
   */
  async load(options: Readonly<{ onCorrupt?: 'quarantine' | 'throw' }> = {}): Promise<InventoryLoadResult> {
    const dir = dirname(this.#path);
    try {
      await mkdir(dir, { recursive: true });
      await this.#removeTempFiles(dir);
    } catch (e: unknown) {
      throw new ReconcilerError('ERR_INVENTORY_IO', `prepare state dir ${dir} failed`, { cause: e, retryable: true });
    }
    this.#entries.clear();
    this.#owners.clear();
    try {
      const loaded = await readInventoryFile(this.#path);
      for (const entry of loaded?.values() ?? []) this.#put(entry);
      return { entries: this.#entries.size };
    } catch (e: unknown) {
      const error = coerceError(e);
      if (!(error instanceof ReconcilerError) || error.code !== 'ERR_INVENTORY_CORRUPT' || options.onCorrupt === 'throw') throw error;
      const quarantined = `${this.#path}.corrupt-${new Date(this.#clock.now()).toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(this.#path, quarantined);
      } catch (renameError: unknown) {
        throw new ReconcilerError('ERR_INVENTORY_IO', `move corrupt inventory ${this.#path} aside failed`, { cause: renameError, retryable: true });
      }
      this.#log.warn({ file: this.#path, quarantined, err: error }, 'inventory corrupt, moved aside');
      return { entries: 0, quarantined };
    }
  }

  get(key: InstanceKey): InventoryEntry | undefined {
    return this.#entries.get(key);
  }

  /** Every entry, in insertion order (a snapshot). */
  entries(): InventoryEntry[] {
    return [...this.#entries.values()];
  }

  /** The key that owns the Rancher container `id`, if any. */
  ownerOf(id: string): InstanceKey | undefined {
    return this.#owners.get(id);
  }

  #put(entry: InventoryEntry): void {
    const previous = this.#entries.get(entry.key);
    if (previous !== undefined && this.#owners.get(previous.id) === entry.key) this.#owners.delete(previous.id);
    this.#entries.set(entry.key, entry);
    this.#owners.set(entry.id, entry.key);
  }

  #remove(key: InstanceKey): boolean {
    const previous = this.#entries.get(key);
    if (previous === undefined) return false;
    if (this.#owners.get(previous.id) === key) this.#owners.delete(previous.id);
    return this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Completed file writes since construction (for tests and metrics). */
  get writes(): number {
    return this.#writes;
  }

  /** Records `entry` under `entry.key` and schedules a write. A failed background write is logged and retried by the next flush. */
  set(entry: InventoryEntry): void {
    this.#put(entry);
    this.#scheduleBackground();
  }

  /** Forgets `key` (no-op when unknown) and schedules a write. */
  delete(key: InstanceKey): void {
    if (this.#remove(key)) this.#scheduleBackground();
  }

  /** `set`, then resolves once the entry is durably on disk. Throws ERR_INVENTORY_IO. */
  async setAndFlush(entry: InventoryEntry): Promise<void> {
    this.#put(entry);
    await this.#kick();
  }

  /** `delete`, then resolves once the removal is on disk. Throws ERR_INVENTORY_IO. */
  async deleteAndFlush(key: InstanceKey): Promise<void> {
    this.#remove(key);
    await this.#kick();
  }

  /** Resolves when every change made so far is on disk. Throws ERR_INVENTORY_IO when the write fails. */
  flush(): Promise<void> {
    if (this.#writer !== undefined) return this.#writer;
    return this.#dirty ? this.#kick() : Promise.resolve();
  }

  #scheduleBackground(): void {
    const starting = this.#writer === undefined;
    const writer = this.#kick();
    // One handler per writer: callers of flush()/setAndFlush() see the error themselves.
    if (starting) {
      writer.catch((e: unknown) => {
        this.#log.error({ file: this.#path, err: coerceError(e) }, 'inventory write failed');
      });
    }
  }

  #kick(): Promise<void> {
    this.#dirty = true;
    this.#writer ??= this.#drain();
    return this.#writer;
  }

  async #drain(): Promise<void> {
    try {
      // Let changes made in the same tick join this write.
      await Promise.resolve();
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await mkdir(dirname(this.#path), { recursive: true });
          await writeFileAtomic(this.#path, serializeInventory(this.#entries.values()));
          this.#writes++;
        } catch (e: unknown) {
          this.#dirty = true; // the next flush retries
          throw new ReconcilerError('ERR_INVENTORY_IO', `write inventory ${this.#path} failed`, { cause: e, retryable: true });
        }
      }
    } finally {
      // Synchronous with the last `#dirty` check: a change after this starts a new writer.
      this.#writer = undefined;
    }
  }

  async #removeTempFiles(dir: string): Promise<void> {
    const prefix = `${basename(this.#path)}${tempMarker}`;
    for (const name of await readdir(dir)) {
      if (name.startsWith(prefix)) await unlink(join(dir, name));
    }
  }
}
