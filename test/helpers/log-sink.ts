import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export type LogLine = Record<string, unknown> & { level: string; msg?: string };

/**
 * A pino destination that keeps every line, raw and parsed, for assertions on fields and redaction, and
 * lets a test await a line (checked on every write, never by polling).
 */
export class LogSink extends Writable {
  readonly raw: string[] = [];
  readonly #waiters = new Set<() => void>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.raw.push(line);
    for (const waiter of [...this.#waiters]) waiter();
    callback();
  }

  get lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine);
  }

  /** All captured output as one string, for "does this secret appear anywhere" checks. */
  get text(): string {
    return this.raw.join('\n');
  }

  /**
   * Resolves with the `nth` (1-based, lines already captured included) line whose message is `msg`;
   * rejects after `timeoutMs`.
   */
  waitFor(msg: string, nth = 1, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.lines.filter((l) => l.msg === msg)[nth - 1];
        if (line === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no log line #${nth} "${msg}" within ${timeoutMs} ms; lines: ${this.text}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves with the next line whose message is `msg`, written after this call; rejects after `timeoutMs`. */
  waitForNext(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    return this.waitFor(msg, this.lines.filter((l) => l.msg === msg).length + 1, timeoutMs);
  }
}

/** A debug-level JSON logger writing into a fresh LogSink. */
export function captureLogger(level: 'debug' | 'info' | 'trace' = 'debug'): { log: Logger; sink: LogSink } {
  const sink = new LogSink();
  return { log: createLogger({ level, pretty: false }, sink), sink };
}
