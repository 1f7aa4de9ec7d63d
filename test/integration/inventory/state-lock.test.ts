import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StateLock, stateLockDirName, stateLockOwnerFileName } from '../../../src/controller/state-lock.js';
import { systemClock, type Clock } from '../../../src/clock.js';
import { StateLockedError } from '../../../src/errors.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { transpileForChild } from '../../helpers/transpile.js';

const here = dirname(fileURLToPath(import.meta.url));
const host = hostname();
const lockedBy = (pid: number, onHost = host): RegExp =>
  new RegExp(`^state dir .+ is locked by pid ${pid} on host ${onHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(another run or apply\\): stop it or use another --state-dir$`);

let work: string;
let moduleUrl: string;
let stateDir: string;
const children: ChildProcess[] = [];
const locks: StateLock[] = [];

/** A child process holding (or failing to take) the lock; `next()` resolves with its next stdout line. */
function spawnHolder(): { child: ChildProcess; next(): Promise<string>; exited: Promise<void>; send(line: string): void } {
  const child = spawn(process.execPath, [join(here, 'lock-holder.mjs'), moduleUrl, stateDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  return {
    child,
    exited,
    send: (line) => child.stdin!.write(`${line}\n`),
    next: () =>
      new Promise<string>((resolveLine, reject) => {
        const queued = lines.shift();
        if (queued !== undefined) return resolveLine(queued);
        const timer = setTimeout(() => reject(new Error(`child silent for 20 s; stderr: ${stderr}`)), 20_000);
        waiting.push((line) => {
          clearTimeout(timer);
          resolveLine(line);
        });
      }),
  };
}

function aLock(overrides: { pid?: number; host?: string; clock?: Clock } = {}): { lock: StateLock; sink: ReturnType<typeof captureLogger>['sink'] } {
  const { log, sink } = captureLogger();
  const lock = new StateLock({ stateDir, log, ...overrides });
  locks.push(lock);
  return { lock, sink };
}

/** The system clock, except that time jumps `jumpMs` ahead at the first timer; `slept` resolves then. */
function jumpingClock(jumpMs: number): Clock & { slept: Promise<void> } {
  let offset = 0;
  let onSlept!: () => void;
  const slept = new Promise<void>((resolveSlept) => (onSlept = resolveSlept));
  return {
    slept,
    now: () => Date.now() + offset,
    setTimeout(callback, delayMs, options) {
      offset = jumpMs;
      onSlept();
      return systemClock.setTimeout(callback, delayMs, options);
    },
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
  };
}

const lockDir = (): string => join(stateDir, stateLockDirName);
const ownerFile = (): string => join(stateDir, stateLockOwnerFileName);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'state-lock-'));
  moduleUrl = pathToFileURL(await transpileForChild(resolve(here, '../../../src/controller/state-lock.ts'), join(work, 'build'))).href;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  stateDir = await mkdtemp(join(work, 'state-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const lock of locks.splice(0)) await lock.release();
});

describe('StateLock across processes', () => {
  test('a second writer fails at once with ERR_STATE_LOCKED naming the holder pid, host and since', async () => {
    const holder = spawnHolder();
    expect(await holder.next()).toBe(`locked ${holder.child.pid}`);
    const { lock } = aLock();
    const error = await lock.acquire().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateLockedError);
    expect(error).toMatchObject({ code: 'ERR_STATE_LOCKED', retryable: false, holder: { pid: holder.child.pid, host } });
    expect((error as Error).message).toMatch(lockedBy(holder.child.pid!));
    expect((error as Error).message).toContain(`state dir ${stateDir} is locked`);
    expect(lock.held).toBe(false);
  });

  test('and the other way round: a child cannot take the lock this process holds', async () => {
    const { lock } = aLock();
    await lock.acquire();
    const other = spawnHolder();
    const line = await other.next();
    expect(line).toMatch(/^failed ERR_STATE_LOCKED /);
    expect(line.replace(/^failed ERR_STATE_LOCKED /, '')).toMatch(lockedBy(process.pid));
  });

  test('release lets the next writer take it, without a takeover', async () => {
    const holder = spawnHolder();
    expect(await holder.next()).toMatch(/^locked /);
    holder.send('release');
    expect(await holder.next()).toBe('released');
    expect(existsSync(lockDir())).toBe(false);
    expect(existsSync(ownerFile())).toBe(false);
    const { lock, sink } = aLock();
    await lock.acquire();
    expect(lock.held).toBe(true);
    expect(sink.lines.filter((l) => l.msg === 'state lock taken over')).toEqual([]);
    expect(JSON.parse(await readFile(ownerFile(), 'utf8'))).toMatchObject({ pid: process.pid, host });
  });

  test('a lock whose holder was SIGKILLed is taken over at once and logged at warn with the old holder', async () => {
    const holder = spawnHolder();
    expect(await holder.next()).toMatch(/^locked /);
    const record = JSON.parse(await readFile(ownerFile(), 'utf8')) as { pid: number; host: string; since: string };
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(lockDir())).toBe(true); // nothing ran on SIGKILL
    const { lock, sink } = aLock();
    await lock.acquire();
    const warns = sink.lines.filter((l) => l.msg === 'state lock taken over');
    expect(warns).toEqual([
      expect.objectContaining({ level: 'warn', stateDir, reason: 'holder not running', holder: { pid: holder.child.pid, host, since: record.since } }),
    ]);
    expect(JSON.parse(await readFile(ownerFile(), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  test('process exit without release unlocks', async () => {
    const holder = spawnHolder();
    expect(await holder.next()).toMatch(/^locked /);
    holder.send('exit');
    await holder.exited;
    expect(existsSync(lockDir())).toBe(false);
    expect(existsSync(ownerFile())).toBe(false);
  });
});

describe('StateLock rules', () => {
  /** A lock folder as another process left it, with an owner record (or none). */
  async function leaveLock(record: Record<string, unknown> | undefined, ageMs = 0): Promise<void> {
    await mkdir(lockDir());
    if (record !== undefined) await writeFile(ownerFile(), JSON.stringify(record));
    if (ageMs > 0) {
      const at = new Date(Date.now() - ageMs);
      await utimes(lockDir(), at, at);
    }
  }

  test('a second StateLock in the same process is refused too', async () => {
    await aLock().lock.acquire();
    await expect(aLock().lock.acquire()).rejects.toMatchObject({ code: 'ERR_STATE_LOCKED', holder: { pid: process.pid, host } });
  });

  test('a live holder on another host is respected (only the stale rule can end it)', async () => {
    await leaveLock({ pid: 1, host: 'elsewhere', since: '2026-12-01T08:00:00Z', processStart: 1 });
    await expect(aLock().lock.acquire()).rejects.toThrow(
      `state dir ${stateDir} is locked by pid 1 on host elsewhere since 2026-12-01T08:00:00Z (another run or apply): stop it or use another --state-dir`,
    );
  });

  test('an earlier process with our pid (a restarted container) is taken over', async () => {
    await leaveLock({ pid: process.pid, host, since: '2026-12-01T08:00:00Z', processStart: 1 });
    const { lock, sink } = aLock();
    await lock.acquire();
    expect(sink.lines.find((l) => l.msg === 'state lock taken over')).toMatchObject({ reason: 'holder not running', holder: { pid: process.pid, since: '2026-12-01T08:00:00Z' } });
  });

  test('a lock without an owner record yet is waited on: the record, once written, names the holder', async () => {
    await leaveLock(undefined);
    const clock = jumpingClock(0);
    const acquiring = aLock({ clock }).lock.acquire();
    await clock.slept;
    await writeFile(ownerFile(), JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-12-01T08:00:00Z', processStart: 1 }));
    await expect(acquiring).rejects.toThrow(/is locked by pid 1 on host elsewhere since 2026-12-01T08:00:00Z /);
  });

  test('a lock without an owner record whose taker died (no refresh) is taken over once stale', async () => {
    await leaveLock(undefined, 9_000);
    const { lock, sink } = aLock();
    await lock.acquire();
    const warn = sink.lines.find((l) => l.msg === 'state lock taken over');
    expect(warn).toMatchObject({ level: 'warn', reason: 'stale' });
    expect(warn).not.toHaveProperty('holder');
  });

  test('a fresh lock that never gets an owner record fails after the wait as an unknown holder', async () => {
    await leaveLock(undefined);
    await expect(aLock({ clock: jumpingClock(60_000) }).lock.acquire()).rejects.toThrow(
      `state dir ${stateDir} is locked by an unknown holder (no owner record; a dead holder's lock expires 10 s after its last update): stop it or use another --state-dir`,
    );
  });

  test('an owner record older than the lock folder is from an earlier lock: the holder is unknown, nothing is taken over', async () => {
    await writeFile(ownerFile(), JSON.stringify({ pid: 999_999_999, host, since: '2026-12-01T08:00:00Z', processStart: 1 }));
    const past = new Date(Date.now() - 60_000);
    await utimes(ownerFile(), past, past);
    await mkdir(lockDir());
    await expect(aLock({ clock: jumpingClock(60_000) }).lock.acquire()).rejects.toThrow(/is locked by an unknown holder/);
    expect(existsSync(lockDir())).toBe(true);
  });

  test('a stale lock (no update for over 10 s) is taken over, whoever held it', async () => {
    await leaveLock({ pid: 1, host: 'elsewhere', since: '2026-12-01T08:00:00Z', processStart: 1 }, 60_000);
    const { lock, sink } = aLock();
    await lock.acquire();
    expect(sink.lines.find((l) => l.msg === 'state lock taken over')).toMatchObject({ level: 'warn', reason: 'stale', holder: { pid: 1, host: 'elsewhere' } });
  });

  test('creates a missing state dir, and release is idempotent', async () => {
    stateDir = join(stateDir, 'nested', 'state');
    const { lock } = aLock();
    await lock.acquire();
    expect(existsSync(lockDir())).toBe(true);
    await lock.release();
    await lock.release();
    expect(existsSync(lockDir())).toBe(false);
    expect(existsSync(ownerFile())).toBe(false);
  });
});

describe('the README', () => {
  test("quotes the program's lock messages", async () => {
    const readme = await readFile(resolve(here, '../../../README.md'), 'utf8');
    const example = new StateLockedError('/var/lib/rancher-reconciler', { pid: 1234, host: 'web-7', since: '2026-12-01T08:00:00Z' }, 10_000);
    expect(readme).toContain(`\n  error: ${example.message}\n`);
    const unknown = new StateLockedError('/x', undefined, 10_000).message;
    expect(unknown).toContain('is locked by an unknown holder (');
    expect(readme).toContain('`is locked by an unknown holder (...)`');
    expect(readme).toContain('`state lock taken over`');
  });
});
