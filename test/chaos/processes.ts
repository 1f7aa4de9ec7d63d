/**
 * The two child processes of a chaos run, spawned from the built CLI: the emulator
 * (`emulator --port P --data FILE --transition-ms 20`) and the daemon (`run ...`). Output goes to one log
 * file per process kind (each incarnation appended after a `#` header line), so a failing seed can be
 * read afterwards; the daemon's JSON lines are also parsed for the few events the report uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { DaemonEvent } from './invariants.js';

/** A spawned CLI process whose output is appended to `logFile`. */
export type LoggedChild = Readonly<{
  child: ChildProcess;
  /** Resolves with the exit code, or 128 + signal number. */
  exited: Promise<number>;
  /** Whether the process has exited. */
  done(): boolean;
  /** Resolves with the first output line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The last `chars` characters of output (for error messages). */
  tail(chars?: number): string;
}>;

const signalNumbers: Readonly<Record<string, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };

/** Spawns `node cli ...args` with only PATH and HOME from the environment (no stray RECONCILER_* variables). */
export function spawnLogged(cli: string, args: readonly string[], options: Readonly<{ cwd: string; logFile: string; header: string; onLine?: (line: string) => void; onSpawn?: (child: ChildProcess) => void }>): LoggedChild {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`# ${new Date().toISOString()} ${options.header}: node ${[cli, ...args].join(' ')}\n`);
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? options.cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  let recent = '';
  const watchers = new Set<(line: string) => void>();
  const onChunk = (carry: { text: string }) => (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    log.write(text);
    recent = (recent + text).slice(-8000);
    carry.text += text;
    const lines = carry.text.split('\n');
    carry.text = lines.pop() ?? '';
    for (const line of lines) {
      options.onLine?.(line);
      for (const w of watchers) w(line);
    }
  };
  child.stdout?.on('data', onChunk({ text: '' }));
  child.stderr?.on('data', onChunk({ text: '' }));
  let finished = false;
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      finished = true;
      resolve(code ?? 128 + (signalNumbers[signal ?? ''] ?? 1));
    });
    child.on('error', () => {
      finished = true;
      resolve(127);
    });
  });
  // close the log only after the pipes have drained, so that the last lines are kept
  child.on('close', () => log.end());
  return {
    child,
    exited,
    done: () => finished,
    tail: (chars = 2000) => recent.slice(-chars),
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${recent.slice(-2000)}`));
        }, timeoutMs);
        const check = (line: string): void => {
          const match = line.match(pattern);
          if (match === null) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        watchers.add(check);
        void exited.then((code) => {
          if (!watchers.has(check)) return;
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) while waiting for ${pattern}; output:\n${recent.slice(-2000)}`));
        });
      });
    },
  };
}

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs; resolves with the exit code. */
export async function stopChild(proc: LoggedChild | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | undefined> {
  if (proc === undefined) return undefined;
  if (proc.done()) return proc.exited;
  proc.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const first = await Promise.race([proc.exited, late]);
  clearTimeout(timer);
  if (first === 'late') {
    proc.child.kill('SIGKILL');
    return proc.exited;
  }
  return first;
}

export type EmulatorChild = Readonly<{ proc: LoggedChild; url: string; port: number }>;

/** Starts the emulator and resolves once it printed its base URL (`http://127.0.0.1:PORT/v1`). */
export async function startEmulatorProcess(cli: string, options: Readonly<{ cwd: string; port: number; dataFile: string; logFile: string; incarnation: number; onSpawn?: (child: ChildProcess) => void }>): Promise<EmulatorChild> {
  const args = ['emulator', '--port', String(options.port), '--data', options.dataFile, '--transition-ms', '20', '--log-level', 'warn'];
  const proc = spawnLogged(cli, args, { cwd: options.cwd, logFile: options.logFile, header: `emulator #${options.incarnation}`, ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}) });
  try {
    const match = await proc.waitForLine(/^(http:\/\/127\.0\.0\.1:(\d+)\/v1)\s*$/, 20_000);
    return { proc, url: match[1]!, port: Number(match[2]) };
  } catch (error: unknown) {
    await stopChild(proc, 'SIGKILL');
    throw error;
  }
}

/** Log messages of the daemon kept as events (the rest stays in the log file). */
const keptMessages: ReadonlySet<string> = new Set([
  'manifests loaded', 'restart outcome unknown: token recorded as applied', 'surplus twin removed', 'removals refused',
  'state lock taken over', 'ownership moved', 'create resolved by name lookup',
]);

export type DaemonChild = Readonly<{ proc: LoggedChild; statusUrl: string }>;

/** Starts `run` and resolves once it logged `status and metrics served` (its /status URL). */
export async function startDaemonProcess(cli: string, args: readonly string[], options: Readonly<{ cwd: string; logFile: string; incarnation: number; onEvent: (event: DaemonEvent) => void; onSpawn?: (child: ChildProcess) => void }>): Promise<DaemonChild> {
  const onLine = (line: string): void => {
    if (!line.startsWith('{')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // a torn line at a SIGKILL: nothing to keep
      return;
    }
    const msg = typeof parsed['msg'] === 'string' ? parsed['msg'] : '';
    // of the many 'action succeeded' lines only restarts matter (when was a restart taken as done)
    if (!keptMessages.has(msg) && !(msg === 'action succeeded' && parsed['action'] === 'restart')) return;
    const str = (field: string): { [k: string]: string } => (typeof parsed[field] === 'string' ? { [field]: parsed[field] as string } : {});
    const durationMs = typeof parsed['durationMs'] === 'number' ? { durationMs: parsed['durationMs'] } : {};
    options.onEvent({ at: Date.parse(String(parsed['time'])), incarnation: options.incarnation, msg, ...str('key'), ...str('revision'), ...str('token'), ...str('action'), ...str('instanceId'), ...durationMs });
  };
  const proc = spawnLogged(cli, ['run', ...args], { cwd: options.cwd, logFile: options.logFile, header: `daemon #${options.incarnation}`, onLine, ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}) });
  try {
    const match = await proc.waitForLine(/"status":"(http:\/\/127\.0\.0\.1:\d+\/status)"[^\n]*"msg":"status and metrics served"/, 30_000);
    // the flags define one environment, `default`: its document is `/status/default`
    return { proc, statusUrl: `${match[1]!}/default` };
  } catch (error: unknown) {
    await stopChild(proc, 'SIGKILL');
    throw error;
  }
}
