/**
 * Validation of one raw option value into its typed form, with expected/got messages that name the
 * source (`--qps: expected a positive number, got \`abc\``). Secrets are never echoed back.
 */
import { resolve } from 'node:path';
import { redactUrl } from '../errors.js';
import { apiUrlForms, parseApiUrl } from '../rancher/api-config.js';
import type { OptionSpec } from './options.js';
import type { RawValue } from './raw-values.js';

/** A parsed `--listen` address. */
export type ListenAddress = Readonly<{ host: string; port: number }>;

/** The typed value of an option, or the one problem with it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; issue: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (raw: RawValue, expected: string, shown = `\`${String(raw.value)}\``): Parsed<never> => ({
  ok: false,
  issue: `${raw.label}: expected ${expected}, got ${shown}`,
});

/**
 * Parses a raw value according to the option's kind. Returns a string, number, boolean or
 * ListenAddress. Paths come back absolute (resolved against `raw.baseDir`); URLs without a trailing slash.
 */
export function parseValue(spec: OptionSpec, raw: RawValue): Parsed<string | number | boolean | ListenAddress> {
  const text = typeof raw.value === 'string' ? raw.value.trim() : raw.value;
  switch (spec.kind) {
    case 'boolean':
      if (typeof text === 'boolean') return ok(text);
      if (text === 'true' || text === '1') return ok(true);
      if (text === 'false' || text === '0') return ok(false);
      return bad(raw, 'true or false');
    case 'string':
      return text === '' ? bad(raw, 'a value', 'an empty string') : ok(String(text));
    case 'secret':
      // never echo a secret, not even a malformed one
      return raw.value === '' ? bad(raw, 'a value', 'an empty string') : ok(String(raw.value));
    case 'path':
      return text === '' ? bad(raw, 'a path', 'an empty string') : ok(resolve(raw.baseDir, String(text)));
    case 'positive-number': {
      const n = toNumber(text);
      return n !== undefined && n > 0 ? ok(n) : bad(raw, 'a positive number');
    }
    case 'positive-integer': {
      const n = toNumber(text);
      return n !== undefined && Number.isInteger(n) && n >= 1 ? ok(n) : bad(raw, 'a positive integer');
    }
    case 'non-negative-integer': {
      const n = toNumber(text);
      return n !== undefined && Number.isInteger(n) && n >= 0 ? ok(n) : bad(raw, 'an integer >= 0');
    }
    case 'count-or-percent':
      return parseCountOrPercent(raw, String(text));
    case 'enum':
      return spec.choices?.includes(String(text)) ? ok(String(text)) : bad(raw, `one of ${(spec.choices ?? []).join(', ')}`);
    case 'url':
      return parseUrl(raw, String(text));
    case 'listen':
      return parseListen(raw, String(text));
    case 'duration':
      return parseDuration(raw, text);
    case 'git-url':
      return parseGitUrl(raw, String(text));
    case 'repo-path':
      return parseRepoPath(raw, String(text));
  }
}

const durationUnits: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds: a bare number (`90`) or a number with a unit (`500ms`, `10s`, `1m`, `1.5h`); > 0. */
function parseDuration(raw: RawValue, text: string | boolean): Parsed<number> {
  const match = typeof text === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text) : null;
  const seconds = match ? Number(match[1]) * (durationUnits[match[2] ?? 's'] ?? 1) : NaN;
  return seconds > 0 ? ok(seconds) : bad(raw, 'a duration > 0 such as `30`, `10s`, `1m` or `500ms` (a bare number is seconds)');
}

const gitUrlExpectation = 'a git URL: `https://host/org/repo.git`, `ssh://git@host/org/repo.git`, `git@host:org/repo.git`, `git://host/repo` or `file:///abs/path`';

/**
 * A git remote as the git CLI takes it. Passwords never go into the URL (they would land in argv and
 * in git's own messages): a URL with one is refused, naming the file option to use instead. A user name
 * is fine (`ssh://git@host/...`, `https://user@host/...`).
 */
function parseGitUrl(raw: RawValue, text: string): Parsed<string> {
  const scp = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/.test(text);
  if (scp) return ok(text);
  if (!URL.canParse(text)) return bad(raw, gitUrlExpectation, text.includes('@') ? 'a value that is not shown' : `\`${text}\``);
  const url = new URL(text);
  if (url.password !== '') {
    return { ok: false, issue: `${raw.label}: must not contain a password (use --git-password-file or --git-bearer-token-file), got \`${redactUrl(text)}\`` };
  }
  if (!['https:', 'http:', 'ssh:', 'git:', 'file:'].includes(url.protocol)) return bad(raw, gitUrlExpectation, `\`${redactUrl(text)}\``);
  if (url.protocol === 'file:' && (url.host !== '' || !url.pathname.startsWith('/'))) return bad(raw, 'an absolute `file:///path` URL', `\`${text}\``);
  if (url.protocol !== 'file:' && url.hostname === '') return bad(raw, gitUrlExpectation, `\`${text}\``);
  return ok(text.replace(/\/+$/, ''));
}

/** A folder inside the repository: relative, `/`-separated, no `..`; `''` and `.` are the root. */
function parseRepoPath(raw: RawValue, text: string): Parsed<string> {
  const parts = text.split('/').filter((part) => part !== '' && part !== '.');
  if (text.startsWith('/') || parts.includes('..') || text.includes('\\')) return bad(raw, 'a folder inside the repository such as `manifests/prod` (relative, no `..`)');
  return ok(parts.join('/'));
}

/** `3` or `25%`, returned as the text (config.ts turns it into a MaxUnavailable). */
function parseCountOrPercent(raw: RawValue, text: string): Parsed<string> {
  const match = /^(\d+)(%?)$/.exec(text);
  const n = Number(match?.[1]);
  if (!match || !(n >= 1) || (match[2] === '%' && n > 100)) return bad(raw, 'a count >= 1 or a percentage from 1% to 100%');
  return ok(text);
}

function toNumber(text: string | boolean): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The Rancher client's own rule (parseApiUrl) decides; this only words the problem for the option's
 * source. The value is the canonical base URL (`.../v1` or `.../v1/projects/<id>`).
 */
function parseUrl(raw: RawValue, text: string): Parsed<string> {
  const parsed = parseApiUrl(text);
  if (!('issues' in parsed)) return ok(parsed.baseUrl);
  if (text.includes('@')) {
    // userinfo: show the URL without it, or nothing at all when it cannot be parsed
    const shown = /^https?:\/\//i.test(text) && URL.canParse(text) ? `got \`${redactUrl(text)}\`` : 'the value is not shown';
    return { ok: false, issue: `${raw.label}: must not contain credentials (use --access-key and --secret-key), ${shown}` };
  }
  // no userinfo here (handled above): the text is shown as given
  if (parsed.issues.some((issue) => issue.includes('Rancher 2.x'))) {
    return { ok: false, issue: `${raw.label}: \`${text}\` is the Rancher 2.x API (/v3); rancher-reconciler talks to Rancher 1.x (/v1)` };
  }
  return bad(raw, apiUrlForms, `\`${text}\``);
}

function parseListen(raw: RawValue, text: string): Parsed<ListenAddress> {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/i.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || !(port >= 0 && port <= 65535)) return bad(raw, 'HOST:PORT with a port in 0..65535');
  return ok({ host, port });
}
