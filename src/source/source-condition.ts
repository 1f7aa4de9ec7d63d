/**
 * Whether the git source is fetching fine, with one log line and one metric change per change of
 * condition (not per failed poll: a broken token polled every backoff step says so once), and the
 * error the `/status` source block shows.
 */
import type { Clock } from '../clock.js';
import type { SourceError } from '../domain/status.js';
import { GitError, coerceError, type GitFailureReason } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SourceMetrics } from '../observability/source-metrics.js';

/** A change of condition, as the event journal records it (`keeping`: the revision that stays applied). */
export type SourceConditionChange = Readonly<{ ready: boolean; reason: string | null; message: string; keeping: string | null }>;

/** `onChange`: called once per change of condition (the same moments as the log lines). Must not throw. */
export type SourceConditionDeps = Readonly<{ clock: Clock; log: Logger; metrics?: SourceMetrics; onChange?: (change: SourceConditionChange) => void }>;

export class SourceCondition {
  readonly #deps: SourceConditionDeps;
  #error: SourceError | undefined;
  #failure: GitError | undefined;
  #failures = 0;

  constructor(deps: SourceConditionDeps) {
    this.#deps = deps;
  }

  /** The current failure, undefined while fine. */
  get error(): SourceError | undefined {
    return this.#error;
  }

  /** The current failure as the error to throw (apply and plan stop on it), undefined while fine. */
  get failure(): GitError | undefined {
    return this.#failure;
  }

  /** Consecutive failed polls (0 after a success): the backoff exponent. */
  get failures(): number {
    return this.#failures;
  }

  /** A poll succeeded. Logs `git source ready again` when it had failed. */
  ok(fields: Readonly<Record<string, unknown>>): void {
    this.#failures = 0;
    if (this.#error === undefined) return;
    const since = this.#error.since;
    this.#error = undefined;
    this.#failure = undefined;
    this.#deps.metrics?.setSourceReady(true);
    this.#deps.log.info({ ...fields, failingSince: since }, 'git source ready again');
    const keeping = typeof fields.revision === 'string' ? fields.revision : null;
    this.#deps.onChange?.({ ready: true, reason: null, message: `git source ready again (failing since ${since})`, keeping });
  }

  /** A poll failed; `keeping` is the revision that stays the desired state (undefined before the first good one). */
  failed(error: unknown, keeping: string | undefined): SourceError {
    const message = coerceError(error).message;
    this.#failure = error instanceof GitError ? error : new GitError('failed', message, { cause: error });
    const reason: GitFailureReason = this.#failure.reason;
    this.#failures += 1;
    this.#deps.metrics?.incGitFetchError(reason);
    const previous = this.#error;
    const since = previous?.since ?? new Date(this.#deps.clock.now()).toISOString();
    this.#error = { reason, message, since };
    if (previous === undefined || previous.reason !== reason || previous.message !== message) {
      this.#deps.metrics?.setSourceReady(false);
      this.#deps.log.warn({ reason, error: message, keeping: keeping ?? null, failures: this.#failures }, 'git source not ready');
      this.#deps.onChange?.({ ready: false, reason, message, keeping: keeping ?? null });
    } else {
      this.#deps.log.debug({ reason, failures: this.#failures }, 'git poll failed again');
    }
    return this.#error;
  }
}
