/**
 * Whether human-readable output may carry ANSI colour, from the two conventions terminals and CI
 * systems use:
 *
 * - `NO_COLOR` (https://no-color.org): any non-empty value turns colour off; empty is as if unset.
 * - `FORCE_COLOR` (Node, supports-color, colorette): colour even when the stream is not a terminal
 *   (a CI log that renders ANSI); `0` or `false` turns it off, also on a terminal.
 *
 * NO_COLOR wins over FORCE_COLOR: it is the user's standing wish, and colorette (pino-pretty's
 * colour library) resolves the pair the same way. Node's own `getColorDepth` lets FORCE_COLOR win
 * instead; we follow no-color.org's "regardless of its value". Neither variable picks the log format:
 * colour applies to `pretty` logs only (JSON lines never carry it).
 */

/** Reads the two variables from `env` (the CliContext's, never process.env) for a stream that `isTTY`. */
export function colorFromEnv(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  if ((env.NO_COLOR ?? '') !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return isTTY;
}
