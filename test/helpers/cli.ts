import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../../src/commands/context.js';
import { runProgram } from '../../src/program.js';

/** A Writable that keeps everything written to it. */
export class TextSink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

export type CliResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/**
 * Runs the program in-process with a test context: `env` is the whole environment the command sees.
 * `signal` stands for SIGTERM (abort it to stop a long-running command); when it is already aborted, the
 * command does not start and the call rejects with its reason.
 */
export async function runCli(args: readonly string[], options: Readonly<{ env?: Record<string, string>; cwd: string; signal?: AbortSignal }>): Promise<CliResult> {
  // a command never sees a signal that was aborted before it started: refuse to start instead of running on
  options.signal?.throwIfAborted();
  const stdout = new TextSink();
  const stderr = new TextSink();
  let code = 0;
  const ctx: CliContext = {
    env: options.env ?? {},
    stdout,
    stderr,
    shutdown: options.signal ?? new AbortController().signal,
    cwd: options.cwd,
    onHangup: () => () => undefined,
    setExitCode: (c) => {
      code = c;
    },
  };
  await runProgram(ctx, args);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Absolute path of the built CLI; throws a clear error when `npm run build` has not run. */
export function builtCli(): string {
  const path = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` before these tests (CI does)`);
  return path;
}

export type SpawnedCli = Readonly<{
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128+n for a signal). */
  exited: Promise<number>;
  /** Resolves with the first stdout/stderr text matching `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}>;

/** Every spawned CLI that has not exited yet, for {@link stopAllClis}. */
const running = new Set<SpawnedCli>();

/**
 * Ends `cli` (SIGKILL unless told otherwise) if it is still running and resolves with its exit code once it
 * has exited. Call it in a `finally`, so that a failed test never leaves a process behind to load the next.
 */
export async function stopCli(cli: SpawnedCli, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
  return cli.exited;
}

/**
 * SIGKILLs every CLI spawned by this file that is still running and waits for them to exit. Register it with
 * `afterEach`/`afterAll`: after a jest timeout the test body is still running, and its processes would
 * otherwise overlap the next test.
 */
export async function stopAllClis(): Promise<void> {
  await Promise.all([...running].map((cli) => stopCli(cli)));
}

/** Spawns `node dist/cli.js ...args` with exactly `env` (plus PATH). */
export function spawnCli(args: readonly string[], options: Readonly<{ env?: Record<string, string>; cwd: string }>): SpawnedCli {
  const child = spawn(process.execPath, [builtCli(), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const w of watchers) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    for (const w of watchers) w();
  });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(spawned);
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1));
    });
  });
  const spawned: SpawnedCli = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = (out + err).match(pattern);
          if (match) {
            watchers.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output so far:\n${(out + err).slice(-3000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
        void exited.then(() => {
          if (watchers.has(check)) {
            watchers.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited while waiting for ${pattern}; output:\n${(out + err).slice(-3000)}`));
          }
        });
      });
    },
  };
  running.add(spawned);
  return spawned;
}
