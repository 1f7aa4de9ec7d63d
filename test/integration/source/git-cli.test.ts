/**
 * runGit with real git processes: the hermetic environment, the process-group kill on timeout and
 * abort (grandchildren included), the output cap, and scrubbed messages. git aliases (`-c alias.x=!cmd`)
 * stand in for a git that hangs, floods or fails in a given way.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/errors.js';
import { runGit, type RunGitOptions } from '../../../src/source/git/git-cli.js';
import { liveProcesses, waitUntil } from '../../helpers/git-processes.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-cli-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const options = (overrides: Partial<RunGitOptions> = {}): RunGitOptions => ({ target: root, timeoutMs: 30_000, cwd: root, ...overrides });

/** `git -c alias.run=!<script> run`: git runs the script through sh, as a child in its process group. */
const script = (sh: string): string[] => ['-c', `alias.run=!${sh}`, 'run'];

/** How many `sleep <marker>` processes run (the shell and git name the marker too: only sleep itself counts). */
async function sleeps(marker: string): Promise<number> {
  return (await liveProcesses()).filter(({ argv }) => argv[0] === 'sleep' && argv[1] === marker).length;
}

async function gitError(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GitError)) throw new Error(`expected a GitError, got ${String(error)}`);
  return error;
}

describe('runGit', () => {
  test('runs git with no prompts, the C locale and neither system nor user config', async () => {
    const previous = process.env.GIT_DIR;
    process.env.GIT_DIR = join(root, 'leaked');
    try {
      const { stdout } = await runGit(script('env'), options());
      const env = Object.fromEntries(stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      expect(env).toMatchObject({ GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GCM_INTERACTIVE: 'never', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });
      expect(env.GIT_DIR).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = previous;
    }
  });

  test('does not read a ~/.gitconfig', async () => {
    await writeFile(join(root, '.gitconfig'), '[user]\n\tname = Leaked\n');
    expect((await gitError(runGit(['config', '--get', 'user.name'], options({ env: { HOME: root } })))).reason).toBe('failed');
    // the same file does count when named: the check above could see a leak
    await expect(runGit(['config', '--get', 'user.name'], options({ env: { GIT_CONFIG_GLOBAL: join(root, '.gitconfig') } }))).resolves.toMatchObject({ stdout: 'Leaked\n' });
  });

  test.each<['timeout' | 'aborted']>([['timeout'], ['aborted']])('%s kills the whole process group, grandchildren included', async (reason) => {
    const marker = `${29 + Math.random()}`.slice(0, 12);
    const started = join(root, 'started');
    const abort = new AbortController();
    const timeoutMs = reason === 'timeout' ? 3_000 : 60_000;
    const run = gitError(runGit(script(`sleep ${marker} & sleep ${marker} & touch ${started}; wait`), options({ timeoutMs, signal: abort.signal })));
    if (reason === 'aborted') {
      await waitUntil('both sleeps started', async () => (await sleeps(marker)) === 2);
      abort.abort();
    }
    expect((await run).reason).toBe(reason);
    expect(existsSync(started)).toBe(true);
    await waitUntil('no sleep left', async () => (await sleeps(marker)) === 0);
  });

  test('an abort before the start spawns nothing', async () => {
    const error = await gitError(runGit(['version'], options({ signal: AbortSignal.abort() })));
    expect(error.reason).toBe('aborted');
    expect(error.message).toBe(`git version ${root}: aborted before start`);
  });

  test('stops a run whose output exceeds the cap', async () => {
    const error = await gitError(runGit(script('yes'), options({ maxStdoutBytes: 100_000 })));
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('output over 100000 bytes');
  });

  test('names the subcommand and the target without credentials, and scrubs secrets from git\'s line', async () => {
    const failing = script('echo "fatal: token tok-1 refused, Authorization: Basic dTpw" >&2; exit 128');
    const error = await gitError(runGit(failing, options({ target: 'https://user:pw@git.example/x.git', secrets: ['tok-1'] })));
    expect(error.message).toBe('git run https://git.example/x.git: token [redacted] refused, Authorization: [redacted]');
  });

  test('a missing working directory is a failed start, not a crash', async () => {
    const error = await gitError(runGit(['version'], options({ cwd: join(root, 'missing') })));
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('cannot start git');
  });
});
