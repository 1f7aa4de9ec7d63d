/**
 * The HTTP layer of the Rancher client: the only module that imports got. Every attempt passes through
 * the shared RateLimiter; GETs are retried here (each retry is a new limiter slot), mutating calls never
 * are; every failure is translated once into an ApiError by api-errors.ts.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import got, { type Got, type Response } from 'got';
import { sleep, systemClock, type Clock } from '../clock.js';
import { ApiError, ConfigError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { defaultTimeoutMs, parseApiUrl, type ApiConfig } from './api-config.js';
import { parseRetryAfter, toApiError, type ApiFailure } from './api-errors.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultRetryDelayOptions, retryDelayMs, type RetryDelayOptions } from './retry-delay.js';
import { RetryLogLevel } from './retry-log-level.js';
import { normalizeRoute } from './route.js';

export type { ApiConfig } from './api-config.js';
export { parseApiUrl } from './api-config.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One call. `path` is relative to the base URL (`containers`, `containers/1i5/`) or an absolute URL from a
 * Rancher link, of which only path and query are used (the host and scheme stay ours, so a proxy's
 * internal host name or a foreign host never receives our credentials).
 */
export type HttpRequest = Readonly<{
  method: HttpMethod;
  path: string;
  searchParams?: Readonly<Record<string, string | number>>;
  json?: unknown;
  signal?: AbortSignal;
}>;

/** A 2xx answer with its parsed JSON body (undefined when empty). */
export type HttpResponse = Readonly<{ status: number; body: unknown }>;

/** What the metrics observer receives for every attempt. `route` is normalised (`/v1/containers/:id?action=stop`). */
export type RequestEvent = Readonly<{ method: string; route: string; status: number | 'error'; durationMs: number }>;

/** Where and how to open the event websocket (the Authorization header is a secret: never log it). */
export type SubscribeTarget = Readonly<{
  url: string;
  headers: Readonly<Record<string, string>>;
  ca?: string[];
  rejectUnauthorized: boolean;
}>;

/** The Rancher HTTP client. `request` throws ApiError only. */
export interface HttpClient {
  /** `http(s)://host[:port]/v1` or `.../v1/projects/<id>`, no trailing slash. */
  readonly baseUrl: string;
  readonly projectId: string | undefined;
  request(request: HttpRequest): Promise<HttpResponse>;
  /** The `/v1/subscribe?eventNames=resource.change` websocket target, scoped like the base URL. */
  subscribeTarget(): SubscribeTarget;
  /** Destroys the keep-alive sockets. */
  close(): void;
}

/** Dependencies of {@link createHttpClient}. */
export type HttpClientDeps = Readonly<{
  limiter: RateLimiter;
  log?: Logger;
  clock?: Clock;
  onRequest?: (event: RequestEvent) => void;
  /** GET retries after the first attempt; default 4. */
  getRetryLimit?: number;
  /** Extra GET retries allowed for 429 answers (refused before processing, each waits Retry-After); default 10. */
  getThrottledRetryLimit?: number;
  retryDelay?: RetryDelayOptions;
  random?: () => number;
}>;

function authorizationHeader(config: ApiConfig): Record<string, string> {
  if (config.accessKey === undefined || config.secretKey === undefined) return {};
  return { authorization: `Basic ${Buffer.from(`${config.accessKey}:${config.secretKey}`).toString('base64')}` };
}

function certificateAuthorities(config: ApiConfig): string[] | undefined {
  if (config.caFile === undefined) return undefined;
  try {
    // an extra CA adds to the system roots; node's `ca` option alone would replace them
    return [...rootCertificates, readFileSync(config.caFile, 'utf8')];
  } catch (e: unknown) {
    throw new ConfigError([`Cannot read the CA file \`${config.caFile}\`: ${coerceError(e).message}`]);
  }
}

/** Reduces anything got throws to a failure kind and a credential-free cause. */
function failureOf(error: unknown, signal: AbortSignal | undefined): { failure: ApiFailure; cause: Error } {
  const err = coerceError(error);
  // got copies the system error's code (ENOTFOUND, ECONNREFUSED) onto its RequestError; other wrappers
  // may leave it on the cause only
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  // got's errors hold the request options (headers included): keep only message and code
  const cause = Object.assign(new Error(err.message), { code });
  if (signal?.aborted || code === 'ERR_ABORTED' || err.name === 'AbortError') return { failure: { kind: 'aborted' }, cause };
  if (err.name === 'TimeoutError' || code === 'ETIMEDOUT') return { failure: { kind: 'timeout', detail: err.message }, cause };
  const detail = typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  // certificate problems (untrusted, self-signed, expired, wrong host name) are not transient
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_/.test(code)) return { failure: { kind: 'tls', detail }, cause };
  return { failure: { kind: 'network', detail }, cause };
}

/**
 * Builds the client for one Rancher endpoint. Throws ConfigError for a bad URL or unreadable CA file.
 * Credentials travel only in the Authorization header; `X-API-No-Challenge: true` asks Rancher not to
 * send a browser Basic challenge on 401 (API.md 6). Redirects are not followed.
 */
export function createHttpClient(config: ApiConfig, deps: HttpClientDeps): HttpClient {
  const parsed = parseApiUrl(config.url);
  if ('issues' in parsed) throw new ConfigError(parsed.issues);
  const { baseUrl } = parsed;
  const origin = new URL(baseUrl).origin;
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const getRetryLimit = deps.getRetryLimit ?? 4;
  const getThrottledRetryLimit = deps.getThrottledRetryLimit ?? 10;
  const delayOptions = deps.retryDelay ?? defaultRetryDelayOptions;
  const random = deps.random ?? Math.random;
  const auth = authorizationHeader(config);
  const ca = certificateAuthorities(config);
  const rejectUnauthorized = config.insecureSkipTlsVerify !== true;
  const timeoutMs = config.timeoutMs > 0 ? config.timeoutMs : defaultTimeoutMs;
  /** One warning per kind of failure while it repeats (a long outage is retried by every list). */
  const retryLevel = new RetryLogLevel();
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true, rejectUnauthorized, ...(ca ? { ca } : {}) }) };
  const client: Got = got.extend({
    headers: { accept: 'application/json', 'x-api-no-challenge': 'true', ...auth },
    agent: agents,
    https: { rejectUnauthorized, ...(ca ? { certificateAuthority: ca } : {}) },
    timeout: { connect: Math.min(10_000, timeoutMs), request: timeoutMs },
    retry: { limit: 0 }, // retries are ours: each one must take a limiter slot
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
  });

  function resolve(path: string, searchParams?: HttpRequest['searchParams']): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(`${baseUrl}/${path.replace(/^\/+/, '')}`);
    const target = new URL(`${origin}${url.pathname}${url.search}`);
    for (const [key, value] of Object.entries(searchParams ?? {})) target.searchParams.set(key, String(value));
    return target;
  }

  async function attempt(request: HttpRequest, url: URL): Promise<HttpResponse> {
    const started = clock.now();
    const route = normalizeRoute(url);
    let response: Response<string>;
    try {
      response = await client(url, {
        method: request.method,
        ...(request.json !== undefined ? { json: request.json } : request.method === 'POST' ? { json: {} } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (e: unknown) {
      const durationMs = clock.now() - started;
      deps.onRequest?.({ method: request.method, route, status: 'error', durationMs });
      const { failure, cause } = failureOf(e, request.signal);
      log?.debug({ http: { method: request.method, route, status: 'error' }, durationMs }, 'api request failed');
      throw toApiError(failure, { method: request.method, url: url.toString() }, cause);
    }
    const durationMs = clock.now() - started;
    const status = response.statusCode;
    deps.onRequest?.({ method: request.method, route, status, durationMs });
    log?.debug({ http: { method: request.method, route, status }, durationMs }, 'api request');
    const retryAfterHeader = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader, clock.now());
    if (status === 429 || (status === 503 && retryAfterMs !== undefined)) deps.limiter.throttled(retryAfterMs);
    else deps.limiter.succeeded();
    if (status < 200 || status >= 300) {
      throw toApiError({ kind: 'status', status, body: response.body, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }, { method: request.method, url: url.toString() });
    }
    if (response.body.trim() === '') return { status, body: undefined };
    try {
      return { status, body: JSON.parse(response.body) as unknown };
    } catch (e: unknown) {
      throw toApiError({ kind: 'invalid-response', detail: `${status} with a body that is not JSON` }, { method: request.method, url: url.toString() }, coerceError(e));
    }
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const url = resolve(request.path, request.searchParams);
    const isGet = request.method === 'GET';
    let failures = 0;
    let throttled = 0;
    for (let attemptNo = 1; ; attemptNo += 1) {
      try {
        const response = await deps.limiter.schedule(() => attempt(request, url), request.signal);
        retryLevel.succeeded();
        return response;
      } catch (e: unknown) {
        const error = e instanceof ApiError ? e : failureAsApiError(e, request, url);
        if (error.code === 'ERR_API_RATE_LIMITED') throttled += 1;
        else failures += 1;
        if (!isGet || !error.retryable || failures > getRetryLimit || throttled > getThrottledRetryLimit) throw error;
        const retryInMs = retryDelayMs(attemptNo, error.retryAfterMs, delayOptions, random);
        log?.[retryLevel.failed(error)]({ http: { method: request.method, route: normalizeRoute(url) }, attempt: attemptNo, retryInMs, err: { code: error.code, message: error.message } }, 'api request retrying');
        try {
          await sleep(clock, retryInMs, request.signal);
        } catch (abortReason: unknown) {
          throw toApiError({ kind: 'aborted' }, { method: request.method, url: url.toString() }, coerceError(abortReason));
        }
      }
    }
  }

  return {
    baseUrl,
    projectId: parsed.projectId,
    request,
    subscribeTarget: () => {
      const url = resolve('subscribe', { eventNames: 'resource.change' });
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      return { url: url.toString(), headers: { ...auth }, ...(ca ? { ca } : {}), rejectUnauthorized };
    },
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The limiter rejects with the abort reason when a queued call is aborted; that is an ERR_API_ABORTED too. */
function failureAsApiError(error: unknown, request: HttpRequest, url: URL): ApiError {
  const { failure, cause } = failureOf(error, request.signal);
  return toApiError(failure, { method: request.method, url: url.toString() }, cause);
}
