/**
 * Lifecycle: start steps run in order, each registering how to undo it; `stop()` interrupts a start in
 * progress, lets it settle, then runs every undo in reverse order (LIFO, graphile-worker's releasers),
 * logging a failed undo and going on. Idempotent. Nothing that start began is left running after stop.
 */
import { ReconcilerError, coerceError } from './errors.js';
import type { Logger } from './logger.js';

export type Undo = () => Promise<void> | void;

export class Lifecycle {
  readonly #log: Logger;
  readonly #undos: Undo[] = [];
  /** Aborted by stop(): start gives up at its next step (it may be waiting for Rancher forever). */
  readonly #abort = new AbortController();
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(deps: Readonly<{ log: Logger }>) {
    this.#log = deps.log;
  }

  /** Aborted once stop() is called: pass it to waits that may take long. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Registers an undo, to run in reverse order of registration by stop(). Register it before the step it undoes. */
  onStop(...undos: Undo[]): void {
    this.#undos.push(...undos);
  }

  /** Throws when stop() was called: a start step calls it after every await. */
  stillStarting(): void {
    if (this.#abort.signal.aborted) throw new ReconcilerError('ERR_INTERNAL', 'start interrupted by shutdown');
  }

  /** Runs `steps` once (later calls return the same promise). */
  start(steps: (lifecycle: Lifecycle) => Promise<void>): Promise<void> {
    this.#starting ??= steps(this);
    return this.#starting;
  }

  /** Interrupts a start, waits for it to settle, then undoes every step in reverse order. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#starting?.catch(() => undefined);
      for (const undo of [...this.#undos].reverse()) {
        try {
          await undo();
        } catch (e: unknown) {
          this.#log.error({ err: coerceError(e) }, 'shutdown step failed');
        }
      }
    })();
    return this.#stopping;
  }
}
