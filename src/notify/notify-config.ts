/**
 * The `notifications` section of the config file (`run` only): a list of providers, each with its
 * filters. Parsed with every problem collected as a located issue, in the expected/got style of the
 * other options (`config file a.yaml: notifications[0].kind: expected one of webhook, slack,
 * alertmanager, got "x"`). URLs that may carry a token (webhook, Slack) and HMAC keys come from files;
 * their values never appear in a message.
 */
import { resolve } from 'node:path';
import { redactUrl } from '../errors.js';
import { eventKinds, severities, type EventKind, type Severity } from '../observability/event-model.js';
import type { FileSection } from '../config/raw-values.js';
import { tryRead } from '../config/secrets.js';
import { parseValue } from '../config/values.js';
import type { OptionSpec } from '../config/options.js';

/** The providers a notification entry can name. */
export const notificationKinds = ['webhook', 'slack', 'alertmanager'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/**
 * One validated provider entry.
 * - `url`: where to POST. For `webhook` and `slack` it is a secret (read from `urlFile`: a Slack incoming
 *   webhook URL is its own credential): never log it, log `name`. For `alertmanager` it is the base URL
 *   (`http://alertmanager:9093`, no trailing slash); `/api/v2/alerts` is appended when sending.
 * - `secret`: the webhook HMAC key (`secretFile`), undefined = unsigned.
 * - `minSeverity`: default `warning`. `kinds`, `instances`: undefined = no filter.
 * - `dedupeWindowMs`: identical events (kind + instance + message) inside it are sent once. Default 5 min.
 */
export type NotificationConfig = Readonly<{
  name: string;
  kind: NotificationKind;
  url: string;
  secret?: string;
  minSeverity: Severity;
  kinds?: readonly EventKind[];
  instances?: readonly string[];
  dedupeWindowMs: number;
}>;

/** Defaults of an entry's optional fields. */
export const notificationDefaults = { minSeverity: 'warning' as Severity, dedupeWindowMs: 5 * 60_000 } as const;

/** What {@link notificationsFrom} reads. `section` undefined = the file has no `notifications` key (or no file). */
export type NotificationsInput = Readonly<{
  section: FileSection | undefined;
  readFile: (path: string) => string;
  issues: string[];
}>;

const entryKeys = ['name', 'kind', 'url', 'urlFile', 'secretFile', 'minSeverity', 'kinds', 'instances', 'dedupeWindow'];
// provider names become a metric label and a log field: keep them short and plain
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

type Entry = Readonly<Record<string, unknown>>;
type Context = Readonly<{ label: string; baseDir: string; readFile: (path: string) => string; issues: string[] }>;

/**
 * The validated entries, in file order; `[]` without a section. Problems go to `input.issues`, one line
 * each, all of them (an entry with problems is left out of the result; `loadConfig` throws anyway).
 */
export function notificationsFrom(input: NotificationsInput): NotificationConfig[] {
  const { section, readFile, issues } = input;
  if (section === undefined || section.raw === null) return [];
  if (!Array.isArray(section.raw)) {
    issues.push(`${section.label}: expected a list of notification providers, got ${describe(section.raw)}`);
    return [];
  }
  const entries: NotificationConfig[] = [];
  const seen = new Set<string>();
  section.raw.forEach((raw: unknown, index) => {
    const ctx: Context = { label: `${section.label}[${index}]`, baseDir: section.baseDir, readFile, issues };
    const entry = parseEntry(raw, ctx);
    if (entry === undefined) return;
    if (seen.has(entry.name)) issues.push(`${ctx.label}.name: \`${entry.name}\` is the name of an earlier entry too; names must be unique`);
    seen.add(entry.name);
    entries.push(entry);
  });
  return entries;
}

function parseEntry(raw: unknown, ctx: Context): NotificationConfig | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.issues.push(`${ctx.label}: expected a mapping with name, kind and urlFile (or url), got ${describe(raw)}`);
    return undefined;
  }
  const entry = raw as Entry;
  const before = ctx.issues.length;
  for (const key of Object.keys(entry)) {
    if (!entryKeys.includes(key)) ctx.issues.push(`${ctx.label}: unknown key \`${key}\` (expected ${entryKeys.join(', ')})`);
  }
  const name = nameOf(entry, ctx);
  const kind = oneOf(entry, 'kind', notificationKinds, undefined, ctx);
  const minSeverity = oneOf(entry, 'minSeverity', severities, notificationDefaults.minSeverity, ctx);
  if (kind === 'alertmanager' && minSeverity === 'info') {
    ctx.issues.push(`${ctx.label}.minSeverity: alertmanager takes warning or error (an alert is a problem), got \`info\``);
  }
  const url = kind === undefined ? undefined : urlOf(entry, kind, ctx);
  const secret = secretOf(entry, kind, ctx);
  const kinds = listOf(entry, 'kinds', ctx, (item) => (eventKinds as readonly string[]).includes(item), `event kinds from ${eventKinds.join(', ')}`) as EventKind[] | undefined;
  const instances = listOf(entry, 'instances', ctx, (item) => item.trim() !== '', 'instance name patterns (gitignore-style globs such as `web-*`)');
  const dedupeWindowMs = durationOf(entry, ctx);
  if (ctx.issues.length > before || name === undefined || kind === undefined || url === undefined || minSeverity === undefined) return undefined;
  return {
    name, kind, url, minSeverity, dedupeWindowMs,
    ...(secret === undefined ? {} : { secret }),
    ...(kinds === undefined ? {} : { kinds }),
    ...(instances === undefined ? {} : { instances }),
  };
}

function nameOf(entry: Entry, ctx: Context): string | undefined {
  const name = entry['name'];
  if (name === undefined) {
    ctx.issues.push(`${ctx.label}.name: is required (it names the provider in metrics and logs)`);
    return undefined;
  }
  if (typeof name !== 'string' || !namePattern.test(name)) {
    ctx.issues.push(`${ctx.label}.name: expected letters, digits, \`.\`, \`_\` or \`-\` (at most 63), got ${describe(name)}`);
    return undefined;
  }
  return name;
}

function oneOf<T extends string>(entry: Entry, key: string, choices: readonly T[], fallback: T | undefined, ctx: Context): T | undefined {
  const value = entry[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) ctx.issues.push(`${ctx.label}.${key}: is required, one of ${choices.join(', ')}`);
    return fallback;
  }
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  ctx.issues.push(`${ctx.label}.${key}: expected one of ${choices.join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`);
  return undefined;
}

/**
 * The URL. webhook and slack: only from `urlFile` (the URL may embed a token; the Slack one is a
 * credential). alertmanager: `url` (shown in messages without userinfo) or `urlFile`, one of them.
 */
function urlOf(entry: Entry, kind: NotificationKind, ctx: Context): string | undefined {
  const inline = entry['url'];
  const file = entry['urlFile'];
  if (inline !== undefined && kind !== 'alertmanager') {
    ctx.issues.push(`${ctx.label}.url: a ${kind} URL may carry a token, so it is read from a file: give urlFile instead`);
    return undefined;
  }
  if (inline !== undefined && file !== undefined) {
    ctx.issues.push(`${ctx.label}: url and urlFile cannot both be set`);
    return undefined;
  }
  if (inline === undefined && file === undefined) {
    ctx.issues.push(`${ctx.label}: needs ${kind === 'alertmanager' ? 'url (or urlFile)' : 'urlFile'}, the URL to POST to`);
    return undefined;
  }
  if (inline !== undefined) {
    const text = typeof inline === 'string' ? inline.trim() : '';
    if (isHttpUrl(text)) return text.replace(/\/+$/, '');
    ctx.issues.push(`${ctx.label}.url: expected an http(s) URL such as \`http://alertmanager:9093\`, got ${typeof inline === 'string' ? `\`${inline.includes('@') ? redactUrl(inline) : inline}\`` : describe(inline)}`);
    return undefined;
  }
  const text = readSecretFile(entry, 'urlFile', ctx)?.trim();
  if (text === undefined) return undefined;
  if (isHttpUrl(text)) return kind === 'alertmanager' ? text.replace(/\/+$/, '') : text;
  ctx.issues.push(`${ctx.label}.urlFile: expected the file to hold an http(s) URL, got a value that is not shown`);
  return undefined;
}

function secretOf(entry: Entry, kind: NotificationKind | undefined, ctx: Context): string | undefined {
  if (entry['secretFile'] === undefined) return undefined;
  if (kind !== undefined && kind !== 'webhook') {
    ctx.issues.push(`${ctx.label}.secretFile: only a webhook signs its body (X-Signature); ${kind} takes none`);
    return undefined;
  }
  return readSecretFile(entry, 'secretFile', ctx);
}

/** The file named by `entry[key]` (relative to the config file's folder), one trailing newline trimmed. */
function readSecretFile(entry: Entry, key: string, ctx: Context): string | undefined {
  const path = entry[key];
  if (typeof path !== 'string' || path.trim() === '') {
    ctx.issues.push(`${ctx.label}.${key}: expected a path, got ${describe(path)}`);
    return undefined;
  }
  const absolute = resolve(ctx.baseDir, path.trim());
  const text = tryRead(ctx.readFile, absolute, `${ctx.label}.${key}`, ctx.issues)?.replace(/\r?\n$/, '');
  if (text === '') ctx.issues.push(`${ctx.label}.${key}: file \`${absolute}\` is empty`);
  return text === '' ? undefined : text;
}

function listOf(entry: Entry, key: string, ctx: Context, valid: (item: string) => boolean, expected: string): string[] | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const bad = items.filter((item) => typeof item !== 'string' || !valid(item));
  if (bad.length > 0 || items.length === 0) {
    ctx.issues.push(`${ctx.label}.${key}: expected a list of ${expected}, got ${items.length === 0 ? 'an empty list' : bad.map((item) => (typeof item === 'string' ? JSON.stringify(item) : describe(item))).join(', ')}`);
    return undefined;
  }
  return items as string[];
}

// parseValue's duration rule (`30`, `10s`, `5m`, `500ms`; a bare number is seconds), worded for this key
const durationSpec: OptionSpec = { name: 'dedupe-window', kind: 'duration', env: '', defaultText: '5m', description: '', commands: ['run'] };

function durationOf(entry: Entry, ctx: Context): number {
  const value = entry['dedupeWindow'];
  if (value === undefined || value === null) return notificationDefaults.dedupeWindowMs;
  const text = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
  const parsed = parseValue(durationSpec, { value: text, source: 'file', label: `${ctx.label}.dedupeWindow`, baseDir: ctx.baseDir });
  if (parsed.ok) return Math.round(Number(parsed.value) * 1000);
  ctx.issues.push(text === '' ? `${ctx.label}.dedupeWindow: expected a duration such as \`5m\`, got ${describe(value)}` : parsed.issue);
  return notificationDefaults.dedupeWindowMs;
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const protocol = new URL(text).protocol;
  return protocol === 'http:' || protocol === 'https:';
}

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return 'a list';
  if (raw === null) return 'null';
  if (typeof raw === 'object') return 'a mapping';
  return `\`${String(raw)}\``;
}
