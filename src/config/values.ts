/**
 * Validation of one raw option value into its typed form, with expected/got messages that name the
 * source (`--qps: expected a positive number, got \`abc\``). Secrets are never echoed back.
 */
import { resolve } from 'node:path';
import { redactUrl } from '../errors.js';
import { parseApiUrl } from '../rancher/api-config.js';
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
  }
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

const urlExpectation = 'an http(s) URL ending in /v1 or /v1/projects/<id>';

/** The Rancher client's own rule (parseApiUrl) decides; this only words the problem for the option's source. */
function parseUrl(raw: RawValue, text: string): Parsed<string> {
  const parsed = parseApiUrl(text);
  if (!('issues' in parsed)) return ok(parsed.baseUrl);
  if (text.includes('@')) {
    // userinfo: show the URL without it, or nothing at all when it cannot be parsed
    const shown = /^https?:\/\//i.test(text) && URL.canParse(text) ? `got \`${redactUrl(text)}\`` : 'the value is not shown';
    return { ok: false, issue: `${raw.label}: must not contain credentials (use --access-key and --secret-key), ${shown}` };
  }
  // no userinfo here (handled above): the text is shown as given
  return bad(raw, urlExpectation, `\`${text}\``);
}

function parseListen(raw: RawValue, text: string): Parsed<ListenAddress> {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/i.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || !(port >= 0 && port <= 65535)) return bad(raw, 'HOST:PORT with a port in 0..65535');
  return ok({ host, port });
}
