/**
 * The text of one pretty log line after its time and level: the message, then every field as
 * `name=value` on the same line (`action succeeded key=web instanceId=1i3 action=start durationMs=20`).
 * pino-pretty's own object output takes eight lines per event, or one JSON blob with `singleLine`;
 * `name=value` reads at a glance and greps like the JSON field names. Pure: no I/O, no colour of its own.
 *
 * - `key`, `instanceId`, `action` and `phase` come first (what changed), the rest in log order.
 * - Nested objects are flattened with dots (`http.status=404`, `err.code=ERR_API_NOT_FOUND`) two levels
 *   down; deeper ones and arrays are JSON. An error's `stack` is left out: one line per event. The JSON
 *   format keeps it (`--log-format json`).
 * - A string is written bare when it has no space, quote, `=`, backslash or control character, else as
 *   a JSON string. Control and format characters (ESC, C1, bidi overrides) never reach the terminal
 *   raw: a manifest value cannot move the cursor or recolour the screen.
 */

/** How field names are painted: pino-pretty's colorette functions (identity without colour). */
export type FieldPaint = Readonly<{ gray(text: string): string }>;

/** Shown elsewhere on the line (time, level) or noise on a terminal (pid, hostname). */
const notFields = new Set(['time', 'level', 'pid', 'hostname']);
const leading = ['key', 'instanceId', 'action', 'phase'];
const maxDepth = 2;

// C0, DEL and C1 controls, and format characters such as bidi overrides
const unsafe = /[\p{Cc}\p{Cf}]/gu;
const bare = /^[^\s"=\\\p{Cc}\p{Cf}]+$/u;

function escapeUnsafe(text: string): string {
  return text.replace(unsafe, (c) => {
    const hex = (c.codePointAt(0) ?? 0).toString(16);
    return hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
  });
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return bare.test(value) ? value : escapeUnsafe(JSON.stringify(value));
  if (value === undefined) return 'undefined';
  return escapeUnsafe(JSON.stringify(value) ?? String(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(name: string, value: unknown, depth: number): [string, string][] {
  if (!isPlainObject(value) || depth >= maxDepth) return [[name, renderValue(value)]];
  return Object.entries(value)
    .filter(([child]) => child !== 'stack')
    .flatMap(([child, inner]) => flatten(`${name}.${child}`, inner, depth + 1));
}

function fieldNames(log: Readonly<Record<string, unknown>>, messageKey: string): string[] {
  const names = Object.keys(log).filter((name) => name !== messageKey && !notFields.has(name));
  return [...leading.filter((name) => names.includes(name)), ...names.filter((name) => !leading.includes(name))];
}

/** The message and the fields of `log` (a parsed pino line), for pino-pretty's `messageFormat`. */
export function formatLogMessage(log: Readonly<Record<string, unknown>>, messageKey: string, paint: FieldPaint): string {
  const message = log[messageKey];
  const parts = message === undefined ? [] : [escapeUnsafe(String(message))];
  for (const name of fieldNames(log, messageKey)) {
    for (const [path, text] of flatten(name, log[name], 0)) parts.push(`${paint.gray(`${escapeUnsafe(path)}=`)}${text}`);
  }
  return parts.join(' ');
}
