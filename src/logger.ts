import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogConfig = Readonly<{
  level: LevelWithSilent;
  /** Human-readable lines instead of JSON (on by default when the destination is a terminal). */
  pretty: boolean;
}>;

/**
 * Every path where a credential could ever appear in a log object. Values are replaced, never logged.
 * Keys are matched at the top level and one level down (`*.x`), which is where our log calls put them.
 */
export const redactPaths: readonly string[] = [
  'secretKey',
  'accessKey',
  'password',
  'token',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.secretKey',
  '*.accessKey',
  '*.password',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'api.secretKey',
  'config.api.secretKey',
  'req.headers.authorization',
  'http.headers.authorization',
];

/**
 * Builds the process logger. Called once by the composition root (or a command); components get
 * `log.child({ component })`. `destination` is any writable stream (commands pass their context's
 * stdout or stderr, tests a sink); it defaults to fd 1. With `pretty`, lines go through pino-pretty.
 */
export function createLogger(config: LogConfig, destination?: DestinationStream | NodeJS.WritableStream): Logger {
  const options = {
    level: config.level,
    base: { pid: process.pid },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (config.pretty) {
    const target = destination ?? 1;
    return pino(options, pretty({ colorize: true, sync: true, destination: target as never, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  if (destination !== undefined) return pino(options, destination as DestinationStream);
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
