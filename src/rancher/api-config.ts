/**
 * The API slice of the process configuration and the parser for the Rancher base URL, shared by the
 * client and by config validation (which reports the issues as one ConfigError).
 */
import { redactUrl } from '../errors.js';

/**
 * What the Rancher client needs from the config. `url` is any form {@link parseApiUrl} accepts
 * (normally already its `baseUrl`). `timeoutMs` bounds one HTTP attempt (default 30 s
 * upstream); `qps` and `concurrency` feed the shared rate limiter (0 or Infinity qps = unlimited);
 * `pageSize` is the list page size, 1..3000 (Rancher's maximum).
 */
export type ApiConfig = Readonly<{
  url: string;
  accessKey?: string;
  secretKey?: string;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  timeoutMs: number;
  qps: number;
  concurrency: number;
  pageSize: number;
}>;

/**
 * The parsed base URL: `baseUrl` always ends in `/v1` or `/v1/projects/<id>` (after any path prefix of a
 * reverse proxy), without a trailing slash. `mappedFrom` is the URL as given (no trailing slash, no
 * userinfo) when it was rewritten to that form: the server root (`/v1` added) or a `/v2-beta` URL, which
 * the 1.6 UI shows for API keys (docs/rancher-v1.md#environment-urls-and-keys).
 */
export type ApiUrl = Readonly<{ baseUrl: string; projectId?: string; mappedFrom?: string }>;

/** The largest page Rancher serves (cattle >= v0.176 clamps `limit` to 3000, docs/rancher-v1.md#limit-and-marker-pagination). */
export const maxPageSize = 3000;

/** The default request timeout for one attempt. */
export const defaultTimeoutMs = 30_000;

/** What a Rancher URL may be, in the words every issue uses. */
export const apiUrlForms = '`http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>';

/**
 * `<prefix>/v1`, `<prefix>/v1/projects/<id>`, `<prefix>/v2-beta`, `<prefix>/v2-beta/projects/<id>`; the
 * prefix is whatever path a reverse proxy serves Rancher under (`/rancher`), possibly none.
 */
const apiPath = /^((?:\/(?!(?:v1|v2-beta)(?:\/|$))[^/]+)*)\/(v1|v2-beta)(?:\/projects\/([0-9a-z]+))?$/i;

/**
 * Parses a Rancher API URL. Returns `{ baseUrl, projectId?, mappedFrom? }`, or `{ issues }` naming every
 * problem (credentials are never echoed back). Accepts only http/https, no query, no fragment and no
 * `user:pass@` (credentials go in accessKey/secretKey), and these paths (trailing slashes ignored):
 *
 * - none (`http://rancher:8080`): the server root, `/v1` is added;
 * - `<prefix>/v1` and `<prefix>/v1/projects/<id>`: used as they are;
 * - `<prefix>/v2-beta` and `<prefix>/v2-beta/projects/<id>`: mapped to the same path under `/v1`, which
 *   serves the same environment (gdapi scopes both alike, docs/rancher-v1.md#environment-urls-and-keys).
 *
 * Anything else (`/v3`, `/v1/containers`, `/v1/projects`, a prefix without `/v1`) is an issue.
 */
export function parseApiUrl(url: string): ApiUrl | { issues: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // not parseable at all: the one issue says what we expected
    return { issues: [`Expected the Rancher URL to be ${apiUrlForms}, got \`${redactUrl(url)}\``] };
  }
  const issues: string[] = [];
  const shown = redactUrl(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    issues.push(`Expected the Rancher URL to use http or https, got \`${parsed.protocol}\` in \`${shown}\``);
  }
  if (parsed.username || parsed.password) {
    issues.push(`The Rancher URL must not carry credentials (use the access key and secret key options): \`${shown}\``);
  }
  if (parsed.search || parsed.hash) issues.push(`The Rancher URL must not have a query or fragment: \`${shown}\``);
  const path = parsed.pathname.replace(/\/+$/, '');
  const match = path === '' ? undefined : apiPath.exec(path);
  if (path !== '' && !match) issues.push(pathIssue(path, parsed.pathname));
  if (issues.length > 0) return { issues };
  const origin = `${parsed.protocol}//${parsed.host}`;
  const [, prefix = '', version = 'v1', projectId] = match ?? [];
  const baseUrl = `${origin}${prefix}/v1${projectId === undefined ? '' : `/projects/${projectId}`}`;
  const mapped = path === '' || version.toLowerCase() !== 'v1';
  return {
    baseUrl,
    ...(projectId === undefined ? {} : { projectId }),
    ...(mapped ? { mappedFrom: `${origin}${path}` } : {}),
  };
}

/** The issue for a path that is none of the accepted forms; Rancher 2.x (`/v3`) is named as such. */
function pathIssue(path: string, pathname: string): string {
  if (/(^|\/)v3(\/|$)/i.test(path)) {
    return `The Rancher URL path \`${pathname}\` is the Rancher 2.x API (/v3); rancher-reconciler talks to Rancher 1.x (/v1)`;
  }
  return `Expected the Rancher URL to be ${apiUrlForms}, got the path \`${pathname}\``;
}
