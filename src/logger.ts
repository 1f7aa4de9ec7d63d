import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { formatLogMessage } from './observability/log-fields.js';

export type { Logger } from 'pino';

export type LogConfig = Readonly<{
  level: LevelWithSilent;
  /** Human-readable lines instead of JSON (on by default when the destination is a terminal). */
  pretty: boolean;
  /**
   * ANSI colour in pretty lines. loadConfig sets it from the terminal, `NO_COLOR` and `FORCE_COLOR`
   * (config/color.ts); default false. JSON lines never carry colour.
   */
  color?: boolean;
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
 * stdout or stderr, apply its status line, tests a sink); it defaults to fd 1. With `pretty`, each
 * event is one line: `14:02:03.123 INFO: action succeeded key=web action=start ...`
 * (observability/log-fields.ts), coloured when `color` is set.
 */
export function createLogger(config: LogConfig, destination?: DestinationStream | NodeJS.WritableStream): Logger {
  const options = {
    level: config.level,
    base: { pid: process.pid },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const target = destination ?? pino.destination({ dest: 1, sync: true });
  return pino(options, config.pretty ? prettyLines(target, config.color === true) : (target as DestinationStream));
}

/**
 * A destination that turns each JSON line into one pretty line and writes it to `target` at once.
 * pino-pretty's prettyFactory formats synchronously; its stream form would hand lines on through a
 * stream pipeline, so they could reach the terminal after apply's table, or between two frames of
 * its progress bar.
 */
function prettyLines(target: DestinationStream | NodeJS.WritableStream, color: boolean): DestinationStream {
  const format = prettyFactory({
    colorize: color,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // the fields are part of the message, on its line (log-fields.ts)
    hideObject: true,
    messageFormat: (log, messageKey, _levelLabel, { colors }) => formatLogMessage(log, messageKey, colors),
    customPrettifiers: { time: (time) => String(time) },
  });
  return { write: (line: string) => void target.write(format(line)) };
}
