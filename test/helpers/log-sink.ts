import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export type LogLine = Record<string, unknown> & { level: string; msg?: string };

/** A pino destination that keeps every line, raw and parsed, for assertions on fields and redaction. */
export class LogSink extends Writable {
  readonly raw: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.raw.push(line);
    callback();
  }

  get lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine);
  }

  /** All captured output as one string, for "does this secret appear anywhere" checks. */
  get text(): string {
    return this.raw.join('\n');
  }
}

/** A debug-level JSON logger writing into a fresh LogSink. */
export function captureLogger(level: 'debug' | 'info' | 'trace' = 'debug'): { log: Logger; sink: LogSink } {
  const sink = new LogSink();
  return { log: createLogger({ level, pretty: false }, sink), sink };
}
