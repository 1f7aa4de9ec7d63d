import { stopAllClis } from './cli.js';

/**
 * Keeps the tests of one file strictly sequential even when jest times one out. On a timeout jest fails
 * the test and moves on to the hooks and the next test while the timed-out body is still running: its
 * in-process CLI runs and spawned processes would overlap the next trial (and slow it into a timeout too).
 *
 *     const guard = new TrialGuard();
 *     afterEach(() => guard.settle(), 30_000);
 *     it('...', () => guard.run(async (signal) => { ... runCli(args, { cwd, signal }) ... }), 120_000);
 *
 * `run` hands the body an AbortSignal (pass it to `runCli` as its SIGTERM); `settle` SIGKILLs every CLI
 * spawned with `spawnCli` that is still running, aborts the signal and waits until the body has finished
 * (its `finally` blocks included). After a body that ended on its own, `settle` only reaps strays. Not for
 * a file that keeps one process across tests (a daemon started in `beforeAll`): `settle` would kill it.
 */
export class TrialGuard {
  #current: { controller: AbortController; done: Promise<unknown> } | undefined;

  /** Runs one test body with a signal that `settle` aborts. */
  run<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const done = body(controller.signal);
    this.#current = { controller, done };
    return done;
  }

  /** Stops what the last body left running and waits for the body to end. Never rejects. */
  async settle(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await stopAllClis();
    if (current === undefined) return;
    current.controller.abort(new Error('the test ended (jest timeout?) before its body did'));
    await current.done.catch(() => undefined);
    // the body may have spawned again between the kill and its end
    await stopAllClis();
  }
}
