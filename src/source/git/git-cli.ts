/**
 * The one place that starts git processes. Each run is hermetic (no user or system git config, no
 * prompts, C locale for stable messages), bounded (a timeout and an AbortSignal kill the whole process
 * group, so git's helpers such as git-remote-https and ssh die with it), and fails with a classified
 * {@link GitError} whose message never carries a secret.
 */
import { spawn } from 'node:child_process';
import { GitError, redactUrl } from '../../errors.js';
import { classifyGitFailure, scrubSecrets } from './git-failure.js';

/** Options of one git run. */
export type RunGitOptions = Readonly<{
  /** What the command works on, named in error messages: the remote URL (userinfo is stripped) or the local folder. */
  target: string;
  /** Kill the process group after this long, ms; the error's reason is then `timeout`. */
  timeoutMs: number;
  /** Kills the process group when aborted; the error's reason is then `aborted`. */
  signal?: AbortSignal;
  /** Working directory; the process's own when omitted. */
  cwd?: string;
  /** Variables set over the hermetic base environment (GIT_DIR, GIT_INDEX_FILE, gitAuthEnv()). */
  env?: Readonly<Record<string, string>>;
  /** Values to scrub from error messages (gitAuthSecrets()). */
  secrets?: readonly string[];
  /** Stdout beyond this many bytes kills the run (`failed`), default 16 MiB. */
  maxStdoutBytes?: number;
}>;

/** What a successful run printed: all of stdout, and the last {@link stderrTailChars} of stderr. */
export type GitOutput = Readonly<{ stdout: string; stderr: string }>;

const defaultMaxStdoutBytes = 16 * 1024 * 1024;
/** How much stderr is kept: git's diagnosis is in its last lines, progress and hints come before. */
const stderrTailChars = 8 * 1024;

/**
 * Variables passed through from the daemon's own environment: where programs are (PATH), a HOME for
 * git and ssh, and what an operator sets for the network (proxies, CA bundles). This is the documented
 * exception to "only src/cli.ts reads process.env": a child process needs these, and they are the
 * process's surroundings, not configuration. Anything else, GIT_DIR in particular, must not leak in.
 */
const passedThrough = [
  'PATH', 'HOME', 'TMPDIR', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO',
  'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY',
];

/** The hermetic base environment of every git run, plus `extra`. */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of passedThrough) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  };
}

/**
 * Runs `git <args>` and resolves with its output when it exits 0. Rejects with a GitError: `timeout`
 * or `aborted` when this function killed it, otherwise the reason {@link classifyGitFailure} reads from
 * stderr. The message is `git <subcommand> <target>: <git's line>`, credentials scrubbed. Never retries.
 */
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitOutput> {
  const what = `git ${subcommandOf(args)} ${redactUrl(options.target)}`;
  if (options.signal?.aborted === true) return Promise.reject(new GitError('aborted', `${what}: aborted before start`));
  return new Promise((resolve, reject) => {
    // detached: its own process group, so one kill reaches git-remote-http, ssh and pack-objects too
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = new OutputTail(options.maxStdoutBytes ?? defaultMaxStdoutBytes);
    let killedFor: 'timeout' | 'aborted' | 'output' | undefined;
    const kill = (why: 'timeout' | 'aborted' | 'output'): void => {
      killedFor ??= why;
      killGroup(child.pid);
    };
    // a real-time timer on purpose: it bounds an OS process, and the caller awaits it (so no unref)
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = (): void => kill('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.stdout.on('data', (chunk: Buffer) => { if (!output.addStdout(chunk)) kill('output'); });
    child.stderr.on('data', (chunk: Buffer) => output.addStderr(chunk));
    child.once('error', (error) => {
      if (child.pid !== undefined) return; // a running child reports through 'close'
      settle();
      reject(new GitError('failed', `${what}: cannot start git: ${error.message}`, { cause: error }));
    });
    child.once('close', (exitCode) => {
      settle();
      if (killedFor === 'timeout') reject(new GitError('timeout', `${what}: timed out after ${options.timeoutMs} ms, process group killed`));
      else if (killedFor === 'aborted') reject(new GitError('aborted', `${what}: aborted, process group killed`));
      else if (killedFor === 'output') reject(new GitError('failed', `${what}: output over ${options.maxStdoutBytes ?? defaultMaxStdoutBytes} bytes`));
      else if (exitCode === 0) resolve({ stdout: output.stdout(), stderr: output.stderr() });
      else {
        const failure = classifyGitFailure(output.stderr(), exitCode, options.secrets);
        reject(new GitError(failure.reason, scrubSecrets(`${what}: ${failure.detail}`, options.secrets)));
      }
    });
  });
}

/** The git command in `args`, for messages: the first word that is no option (nor the value of `-c`/`-C`). */
function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return '';
}

/** SIGKILL to the whole group: git holds no state worth a graceful stop, and its helpers must not linger. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group has exited already, which is what we wanted
  }
}

/** Collects stdout up to a byte cap and keeps only the tail of stderr. */
class OutputTail {
  readonly #maxStdoutBytes: number;
  readonly #stdout: Buffer[] = [];
  #stdoutBytes = 0;
  #stderr = '';

  constructor(maxStdoutBytes: number) {
    this.#maxStdoutBytes = maxStdoutBytes;
  }

  /** False once the cap is exceeded; what came after it is dropped. */
  addStdout(chunk: Buffer): boolean {
    this.#stdoutBytes += chunk.length;
    if (this.#stdoutBytes > this.#maxStdoutBytes) return false;
    this.#stdout.push(chunk);
    return true;
  }

  addStderr(chunk: Buffer): void {
    this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-stderrTailChars);
  }

  stdout(): string {
    return Buffer.concat(this.#stdout).toString('utf8');
  }

  stderr(): string {
    return this.#stderr;
  }
}
