/**
 * The API slice of the process configuration and the parser for the Rancher base URL, shared by the
 * client and by config validation (which reports the issues as one ConfigError).
 */
import { redactUrl } from '../errors.js';

/**
 * What the Rancher client needs from the config. `url` is `http(s)://host[:port]/v1` or
 * `.../v1/projects/<id>` (trailing slash optional). `timeoutMs` bounds one HTTP attempt (default 30 s
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

/** The parsed base URL: `baseUrl` always ends in `/v1` or `/v1/projects/<id>`, without a trailing slash. */
export type ApiUrl = Readonly<{ baseUrl: string; projectId?: string }>;

/** The largest page Rancher serves (cattle >= v0.176 clamps `limit` to 3000, docs/rancher-v1.md#limit-and-marker-pagination). */
export const maxPageSize = 3000;

/** The default request timeout for one attempt. */
export const defaultTimeoutMs = 30_000;

const projectPath = /^\/v1\/projects\/([0-9a-z]+)$/i;

/**
 * Parses a Rancher API URL. Returns `{ baseUrl, projectId? }`, or `{ issues }` naming every problem
 * (credentials are never echoed back). Accepts only http/https, the path `/v1` or `/v1/projects/<id>`,
 * no query, no fragment and no `user:pass@` (credentials go in accessKey/secretKey).
 */
export function parseApiUrl(url: string): ApiUrl | { issues: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // not parseable at all: the one issue says what we expected
    return { issues: [`Expected the Rancher URL to be an http(s) URL ending in /v1 or /v1/projects/<id>, got \`${redactUrl(url)}\``] };
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
  const project = projectPath.exec(path);
  if (path !== '/v1' && !project) {
    issues.push(`Expected the Rancher URL path to be /v1 or /v1/projects/<id>, got \`${parsed.pathname}\``);
  }
  if (issues.length > 0) return { issues };
  const baseUrl = `${parsed.protocol}//${parsed.host}${path}`;
  return project?.[1] ? { baseUrl, projectId: project[1] } : { baseUrl };
}
