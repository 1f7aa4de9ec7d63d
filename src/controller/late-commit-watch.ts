/**
 * How long a late-committed create may still appear. A create whose answer was lost can be committed by
 * Rancher after the client gave up (a proxy answering 504 while Rancher carries on); `apply` does not call
 * itself converged before twice the request timeout (at least 5 s) has passed since the last such create,
 * then lists again so a twin shows up (and is removed by its labels).
 */
import type { Clock } from '../clock.js';

export class LateCommitWatch {
  readonly #clock: Clock;
  readonly #windowMs: number;
  #lastInDoubtAt: number | undefined;

  constructor(deps: Readonly<{ clock: Clock; requestTimeoutMs: number }>) {
    this.#clock = deps.clock;
    this.#windowMs = Math.max(5_000, 2 * deps.requestTimeoutMs);
  }

  /** A create's outcome is unknown now. */
  noteInDoubt(): void {
    this.#lastInDoubtAt = this.#clock.now();
  }

  /** Milliseconds until no late commit is expected any more; 0 when none was in doubt. */
  pendingMs(): number {
    return this.#lastInDoubtAt === undefined ? 0 : Math.max(0, this.#lastInDoubtAt + this.#windowMs - this.#clock.now());
  }
}
