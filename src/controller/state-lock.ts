/**
 * One writer per state dir: the exclusive lock that `run` and `apply` take before they load the
 * inventory (README.md, "Safety rules"); `plan` takes none, it never writes.
 *
 * The lock is proper-lockfile's: the folder `<stateDir>/lock`, created atomically with mkdir, its mtime
 * refreshed every 5 s by its holder, and stale 10 s after the last refresh (which covers a holder on
 * another host, or in another pid namespace, that died). Beside it `<stateDir>/lock.owner.json` records
 * the holder (pid, host, since) for the error message, and lets a lock whose holder is gone from this
 * host be taken over at once instead of after 10 s.
 */
import { readFileSync, unlinkSync, type Stats } from 'node:fs';
import { mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { sleep, systemClock, type Clock } from '../clock.js';
import { ReconcilerError, StateLockedError, type StateLockHolder } from '../errors.js';
import type { Logger } from '../logger.js';
import { isErrno, writeFileAtomic } from './atomic-file.js';

export const stateLockDirName = 'lock';
export const stateLockOwnerFileName = 'lock.owner.json';
/** A lock not refreshed for this long is stale (proper-lockfile's rule; its holder refreshes at half of it). */
export const stateLockStaleMs = 10_000;
/** How often a lock without an owner record is looked at again. */
const unknownHolderPollMs = 250;

export type StateLockDeps = Readonly<{
  /** The state directory; created when missing. */
  stateDir: string;
  /** Wall time for `since` and the stale rule. Default: the system clock. */
  clock?: Clock;
  log: Logger;
  /** This host's name as recorded in the owner record. Default: `os.hostname()`. */
  host?: string;
  /** This process's pid as recorded. Default: `process.pid`. */
  pid?: number;
}>;

/** The owner record. `processStart` tells an earlier process with our pid (a restarted container's pid 1) from us. */
type OwnerRecord = StateLockHolder & Readonly<{ processStart: number }>;

type Observed = Readonly<{ lock: Stats | undefined; holder: OwnerRecord | undefined }>;

function isOwnerRecord(value: unknown): value is OwnerRecord {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return Number.isInteger(r['pid']) && typeof r['host'] === 'string' && typeof r['since'] === 'string' && typeof r['processStart'] === 'number';
}

/** Whether `pid` names a process on this host. EPERM means it exists (another user's). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return !isErrno(e, 'ESRCH');
  }
}

const holderFields = (holder: OwnerRecord | undefined): StateLockHolder | undefined =>
  holder === undefined ? undefined : { pid: holder.pid, host: holder.host, since: holder.since };

/**
 * The exclusive lock on one state dir. `acquire()` fails at once with {@link StateLockedError}
 * (ERR_STATE_LOCKED) when another process holds it and has recorded itself; a lock whose holder is gone
 * (its pid is not running on this host, or the lock is stale) is taken over and logged at warn
 * (`state lock taken over`). `release()` unlocks; process exit (not SIGKILL) unlocks too.
 *
 * If the lock is lost while held (removed, or taken over by another process), ERR_STATE_LOCK_LOST is
 * thrown from proper-lockfile's refresh timer within 5 s: the process must stop so that only one writer
 * remains (the CLI prints it as `fatal: uncaught exception: ...` and exits 1).
 */
export class StateLock {
  readonly #dir: string;
  readonly #lockDir: string;
  readonly #ownerFile: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #host: string;
  readonly #pid: number;
  readonly #processStart = Math.round(performance.timeOrigin);
  #release: (() => Promise<void>) | undefined;
  /** The owner record as written, to remove only our own. */
  #written: string | undefined;
  readonly #onExit = (): void => {
    try {
      if (this.#written !== undefined && readFileSync(this.#ownerFile, 'utf8') === this.#written) unlinkSync(this.#ownerFile);
    } catch {
      // exiting: nothing to report to; a leftover record is ignored by the next taker (older than its lock)
    }
  };

  constructor(deps: StateLockDeps) {
    this.#dir = resolve(deps.stateDir);
    this.#lockDir = join(this.#dir, stateLockDirName);
    this.#ownerFile = join(this.#dir, stateLockOwnerFileName);
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log;
    this.#host = deps.host ?? hostname();
    this.#pid = deps.pid ?? process.pid;
  }

  /** Whether this instance holds the lock. */
  get held(): boolean {
    return this.#release !== undefined;
  }

  /**
   * Creates the state dir when missing and takes the lock. Throws StateLockedError (ERR_STATE_LOCKED,
   * naming the holder) at once when a live holder has recorded itself; a lock without a record of its
   * own is waited on (up to the stale time and a second) for its record or its expiry. Throws
   * ERR_INVENTORY_IO when the state dir cannot be used, ERR_INTERNAL when this instance holds it already.
   */
  async acquire(): Promise<void> {
    if (this.#release !== undefined) throw new ReconcilerError('ERR_INTERNAL', `state dir ${this.#dir} is already locked by this process`);
    try {
      await mkdir(this.#dir, { recursive: true });
    } catch (e: unknown) {
      throw new ReconcilerError('ERR_INVENTORY_IO', `prepare state dir ${this.#dir} failed`, { cause: e, retryable: true });
    }
    const deadline = this.#clock.now() + stateLockStaleMs + 1_000;
    for (;;) {
      const before = await this.#observe();
      const release = await this.#tryLock();
      if (release !== undefined) {
        // proper-lockfile replaced a stale lock by itself: say so. A live holder refreshes every 5 s, so a
        // lock seen unrefreshed for 8 s was stale by the time it was replaced (not released meanwhile).
        if (before.lock !== undefined && before.lock.mtimeMs < this.#clock.now() - (stateLockStaleMs - 2_000)) this.#tookOver(before.holder, 'stale');
        return this.#hold(release);
      }
      const current = await this.#observe();
      if (current.holder !== undefined && !this.#isGone(current.holder)) throw new StateLockedError(this.#dir, holderFields(current.holder), stateLockStaleMs);
      if (current.holder !== undefined && (await this.#breakLock(current.holder))) {
        const taken = await this.#tryLock();
        if (taken === undefined) throw new StateLockedError(this.#dir, holderFields((await this.#observe()).holder), stateLockStaleMs);
        this.#tookOver(current.holder, 'holder not running');
        return this.#hold(taken);
      }
      // No record of its own: a taker between its mkdir and its record (milliseconds), or one that died
      // right there (say a SIGKILL during start-up), whose lock goes stale. Or a record that changed meanwhile.
      if (this.#clock.now() >= deadline) throw new StateLockedError(this.#dir, holderFields((await this.#observe()).holder), stateLockStaleMs);
      await sleep(this.#clock, unknownHolderPollMs);
    }
  }

  async #hold(release: () => Promise<void>): Promise<void> {
    this.#release = release;
    await this.#writeOwner();
    process.on('exit', this.#onExit);
    this.#log.debug({ stateDir: this.#dir }, 'state dir locked');
  }

  /** Unlocks (no-op when not held). Throws ERR_INVENTORY_IO when the lock folder cannot be removed. */
  async release(): Promise<void> {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    process.off('exit', this.#onExit);
    try {
      await release();
    } catch (e: unknown) {
      // ERELEASED: the lock was lost (and reported) already
      if (!isErrno(e, 'ERELEASED')) throw new ReconcilerError('ERR_INVENTORY_IO', `unlock state dir ${this.#dir} failed`, { cause: e, retryable: true });
    }
    // after the unlock: a taker in between writes its own record, which is left alone (not ours)
    if (this.#written !== undefined && (await readFile(this.#ownerFile, 'utf8').catch(() => undefined)) === this.#written) {
      await unlink(this.#ownerFile).catch(() => undefined); // best effort: a leftover is ignored (older than the next lock)
    }
    this.#written = undefined;
    this.#log.debug({ stateDir: this.#dir }, 'state dir unlocked');
  }

  async #tryLock(): Promise<(() => Promise<void>) | undefined> {
    try {
      return await lockfile.lock(this.#dir, {
        lockfilePath: this.#lockDir,
        stale: stateLockStaleMs,
        realpath: false,
        onCompromised: (err: Error) => {
          this.#release = undefined;
          throw new ReconcilerError('ERR_STATE_LOCK_LOST', `state dir ${this.#dir} lock was lost (${err.message}): another process may be writing it; stopping`, { cause: err });
        },
      });
    } catch (e: unknown) {
      if (isErrno(e, 'ELOCKED')) return undefined;
      throw new ReconcilerError('ERR_INVENTORY_IO', `lock state dir ${this.#dir} failed`, { cause: e, retryable: true });
    }
  }

  /** The lock folder and its owner record; a record older than the folder belongs to an earlier lock and is ignored. */
  async #observe(): Promise<Observed> {
    const lock = await stat(this.#lockDir).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw new ReconcilerError('ERR_INVENTORY_IO', `read state lock ${this.#lockDir} failed`, { cause: e, retryable: true });
    });
    let file;
    try {
      file = await open(this.#ownerFile, 'r');
    } catch (e: unknown) {
      if (isErrno(e, 'ENOENT')) return { lock, holder: undefined };
      throw new ReconcilerError('ERR_INVENTORY_IO', `read state lock owner ${this.#ownerFile} failed`, { cause: e, retryable: true });
    }
    try {
      const [recordStat, text] = await Promise.all([file.stat(), file.readFile('utf8')]);
      // birthtimeMs is 0 where the filesystem does not keep it: then the record is believed
      if (lock !== undefined && lock.birthtimeMs > 0 && recordStat.mtimeMs < lock.birthtimeMs) return { lock, holder: undefined };
      const parsed: unknown = JSON.parse(text);
      return { lock, holder: isOwnerRecord(parsed) ? parsed : undefined };
    } catch {
      // torn or foreign content (being written right now): an unknown holder, which the stale rule covers
      return { lock, holder: undefined };
    } finally {
      await file.close();
    }
  }

  /** A holder is gone when it ran on this host and its pid is not running (or is ours, from an earlier process). */
  #isGone(holder: OwnerRecord): boolean {
    if (holder.host !== this.#host) return false;
    if (holder.pid === this.#pid) return holder.processStart !== this.#processStart;
    return !isRunning(holder.pid);
  }

  /** Removes the lock of a gone holder, unless its record changed meanwhile (someone else took it). */
  async #breakLock(holder: OwnerRecord): Promise<boolean> {
    const again = (await this.#observe()).holder;
    if (again === undefined || JSON.stringify(again) !== JSON.stringify(holder)) return false;
    try {
      await unlink(this.#ownerFile).catch((e: unknown) => {
        if (!isErrno(e, 'ENOENT')) throw e;
      });
      await rmdir(this.#lockDir).catch((e: unknown) => {
        if (!isErrno(e, 'ENOENT')) throw e;
      });
    } catch (e: unknown) {
      throw new ReconcilerError('ERR_INVENTORY_IO', `remove the state lock of gone pid ${holder.pid} in ${this.#dir} failed`, { cause: e, retryable: true });
    }
    return true;
  }

  #tookOver(holder: OwnerRecord | undefined, reason: 'stale' | 'holder not running'): void {
    const old = holderFields(holder);
    this.#log.warn({ stateDir: this.#dir, reason, ...(old === undefined ? {} : { holder: old }) }, 'state lock taken over');
  }

  async #writeOwner(): Promise<void> {
    const since = new Date(this.#clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const record: OwnerRecord = { pid: this.#pid, host: this.#host, since, processStart: this.#processStart };
    const text = `${JSON.stringify(record)}\n`;
    try {
      await writeFileAtomic(this.#ownerFile, text, 0o644);
      this.#written = text;
    } catch (e: unknown) {
      await this.release();
      throw new ReconcilerError('ERR_INVENTORY_IO', `write state lock owner ${this.#ownerFile} failed`, { cause: e, retryable: true });
    }
  }
}
