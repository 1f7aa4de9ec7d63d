/**
 * `--contended`: two CPU-bound processes beside the benchmark (the "busy machine" of the issue), started
 * before a scenario and killed by pid after it. Each is a plain `node -e 'for(;;){}'`, so they compete for
 * the same cores as the daemon, the emulator and the bench itself.
 */
import { spawn } from 'node:child_process';

/** Starts `count` busy loops; resolves with `stop()`, which kills them (SIGKILL by pid) and waits for their exit. */
export async function startContention(count = 2) {
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  await Promise.all(children.map((child) => new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  })));
  return {
    pids: children.map((child) => child.pid),
    async stop() {
      await Promise.all(children.map((child) => new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGKILL');
      })));
    },
  };
}

/**
 * The contended verdict of a figure that has one (`contendedRatio`: the contended value may be at most that
 * many times the quiet one; the 2.5 for converge and drift heal), null otherwise.
 */
export function contendedVerdict(quiet, contended) {
  const limit = quiet?.contendedRatio;
  if (limit === undefined || typeof quiet.value !== 'number' || typeof contended?.value !== 'number') return null;
  return contended.value <= quiet.value * limit;
}
