/** Log levels for per-retry lines that do not repeat themselves. */
import { apiConditionOf } from './api-condition.js';

/**
 * The level of a per-retry log line: `warn` for the first failure of a kind, `debug` while the same
 * kind repeats, so an outage that is retried for hours logs one warning, not one per retry. The change
 * itself is logged once by the API condition tracker (controller/api-condition-tracker.ts).
 */
export class RetryLogLevel {
  #last: string | undefined;

  /** The level for a line about `error`; its kind is its API condition, else its error code. */
  failed(error: unknown): 'warn' | 'debug' {
    const kind = apiConditionOf(error)?.condition ?? String((error as { code?: unknown } | undefined)?.code ?? 'unknown');
    const level = kind === this.#last ? 'debug' : 'warn';
    this.#last = kind;
    return level;
  }

  /** A call succeeded: the next failure warns again. */
  succeeded(): void {
    this.#last = undefined;
  }
}
