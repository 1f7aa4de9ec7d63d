/**
 * What a failed Rancher call says about the API as a whole (pure): the one table that turns an error
 * into an API condition (`unauthorized`, `not-rancher`, `unreachable`, `server-error`), the sentence an
 * operator sees, and whether retrying can help. The stateful side (a log line and the gauge on each
 * change, `/status`, `/readyz`) is controller/api-condition-tracker.ts; `apply` and `plan` use
 * {@link fatalApiCondition} to stop at once instead of retrying until `--timeout`.
 */
import type { ApiCondition } from '../domain/status.js';
import { ApiError, fencedByLease, redactUrl } from '../errors.js';

/** A failure condition with its human sentence. `message` never contains credentials. */
export type ApiFailureCondition = Readonly<{
  condition: Exclude<ApiCondition, 'ok'>;
  /** e.g. `Rancher rejected the credentials (401)`, `Rancher unreachable: getaddrinfo ENOTFOUND rancher.invalid`. */
  message: string;
  /** The error code (`ERR_API_UNAUTHORIZED`, `ERR_API_NETWORK`, ...). */
  code: string;
  /** The HTTP status, when Rancher (or whatever listens there) answered. */
  status?: number;
  /**
   * True when no later attempt can succeed without someone changing the configuration: wrong keys
   * (401/403), a URL that is not the API (404 on the collection, an answer that is not a collection), a
   * host name that does not resolve (ENOTFOUND) and an untrusted certificate. Connection refused,
   * timeouts, a temporary resolver failure (EAI_AGAIN) and 5xx are worth retrying.
   */
  fatal: boolean;
}>;

/**
 * `/v1`, `/v1/containers`, `/v1/projects/1a5`, `/v1/projects/1a5/containers`: the root or a collection,
 * also behind a reverse proxy's path prefix (`/rancher/v1/containers`, src/rancher/api-config.ts).
 */
const rootOrCollection = /^(?:\/[^/]+)*?\/v1(?:\/projects\/[^/]+)?(?:\/[a-z]+)?\/?$/i;
const apiBase = /^(.*?\/v1(?:\/projects\/[^/]+)?)(?:\/.*)?$/i;
/** Resolver answers that mean the name does not exist (not "try again"). */
const unknownHostCodes = new Set(['ENOTFOUND']);

/**
 * The API condition `error` shows, or undefined when it says nothing about the API as a whole (a 422
 * for one container, a 404 on one resource, a 409 race, 429 throttling, an abort, a non-API error).
 */
export function apiConditionOf(error: unknown): ApiFailureCondition | undefined {
  // a call this replica's fence refused never reached Rancher: it says nothing about the API
  if (!(error instanceof ApiError) || fencedByLease(error)) return undefined;
  const { status, code } = error;
  if (status === 401 || status === 403) return { condition: 'unauthorized', message: `Rancher rejected the credentials (${status})`, code, status, fatal: true };
  if (status === 404 && isCollectionRead(error)) {
    return { condition: 'not-rancher', message: `Rancher API not found at ${baseUrlOf(error.url)} (404): is the URL the v1 API?`, code, status, fatal: true };
  }
  if (code === 'ERR_API_INVALID_RESPONSE' && isCollectionRead(error)) {
    return { condition: 'not-rancher', message: `Rancher API not found at ${baseUrlOf(error.url)} (the answer is not a Rancher collection): is the URL the v1 API?`, code, fatal: true };
  }
  if (status !== undefined && status >= 500) return { condition: 'server-error', message: `Rancher server error (${status})`, code, status, fatal: false };
  if (code === 'ERR_API_NETWORK' || code === 'ERR_API_TIMEOUT' || code === 'ERR_API_TLS') {
    const fatal = code === 'ERR_API_TLS' || causeCodes(error).some((c) => unknownHostCodes.has(c));
    return { condition: 'unreachable', message: `Rancher unreachable: ${causeText(error)}`, code, fatal };
  }
  return undefined;
}

/**
 * The condition of `error` when retrying cannot help (see {@link ApiFailureCondition.fatal}), else
 * undefined. One-shot commands print `error: <message>` and exit 1 on it.
 *
 * @example
 * const fatal = fatalApiCondition(error);
 * if (fatal) ctx.stderr.write(`error: ${fatal.message}\n`);
 */
export function fatalApiCondition(error: unknown): ApiFailureCondition | undefined {
  const seen = apiConditionOf(error);
  return seen?.fatal ? seen : undefined;
}

/** A GET of the API root or a collection: a 404 there means the URL is wrong, not that a resource is gone. */
function isCollectionRead(error: ApiError): boolean {
  if (error.method !== 'GET') return false;
  try {
    return rootOrCollection.test(new URL(error.url).pathname);
  } catch {
    // not a URL (hand-made errors in tests): no way to tell, so not a condition
    return false;
  }
}

/** `http://host:8080/v1/containers?limit=1000` -> `http://host:8080/v1` (never userinfo or query). */
function baseUrlOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${apiBase.exec(parsed.pathname)?.[1] ?? parsed.pathname}`;
  } catch {
    // not a URL: show it without anything that looks like credentials
    return redactUrl(url).split('?')[0] ?? '';
  }
}

/** Every `code` along the cause chain: got wraps the resolver's ENOTFOUND, http.ts keeps it as the cause's code. */
function causeCodes(error: Error): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}

/** The underlying failure in a few words (`connect ECONNREFUSED 127.0.0.1:8080`), with its code when the text lacks it. */
function causeText(error: ApiError): string {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const text = cause?.message || error.detail || error.message;
  const code = causeCodes(error).find((c) => !c.startsWith('ERR_API_'));
  return redactUrl(code !== undefined && !text.includes(code) ? `${text} (${code})` : text);
}
