/** Spawning `node dist/cli.js <command>` as a child process and watching its JSON log lines. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of dist/cli.js; throws when the build is missing. */
export function cliPath() {
  const path = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm run bench does)`);
  return path;
}

/**
 * Spawns the CLI with `args` and a minimal environment (PATH only, plus `env`). JSON log lines are parsed
 * and handed to `onLine` as they arrive. Returns `{ child, exited, output(), waitForLine(pred, ms), kill(sig) }`.
 */
export function spawnCli(args, { cwd, env = {}, onLine } = {}) {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', RECONCILER_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set();
  const partial = { stdout: '', stderr: '' };
  const feed = (stream) => (chunk) => {
    const data = partial[stream] + chunk.toString('utf8');
    const lines = data.split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) {
      text = (text + line + '\n').slice(-20_000);
      if (!line.startsWith('{')) continue;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // not a log line (a table row, the progress bar)
      }
      onLine?.(entry);
      for (const waiter of waiters) waiter(entry);
    }
  };
  child.stdout.on('data', feed('stdout'));
  child.stderr.on('data', feed('stderr'));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    exited,
    output: () => text,
    /** Resolves with the first log entry matching `predicate` from now on; rejects after `timeoutMs`. */
    waitForLine(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const waiter = (entry) => {
          if (!predicate(entry)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(entry);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log line within ${timeoutMs} ms; output tail:\n${text.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
