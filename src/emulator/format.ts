/** Id and date formats of the v1 API (docs/rancher-v1.md#ids-and-dates). */

/** Formats a database id for a type prefix: `formatId('i', 5)` is `1i5`. */
export function formatId(prefix: string, id: number): string {
  return `1${prefix}${id}`;
}

/** Parses a formatted id with the given prefix (`1i5` -> 5); undefined when it does not parse. */
export function parseId(prefix: string, text: string): number | undefined {
  const match = new RegExp(`^1${prefix}(\\d{1,15})$`).exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Renders epoch ms as `yyyy-MM-ddTHH:mm:ssZ` (UTC, no milliseconds). */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses a v1 date string (or epoch ms digits) to epoch ms truncated to seconds; undefined when invalid. */
export function parseDate(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms truncated to whole seconds, as Rancher stores dates. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
