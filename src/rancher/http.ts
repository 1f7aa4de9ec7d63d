/**
 * The HTTP layer of the Rancher client: the only module that imports got. Every attempt passes through
 * the shared RateLimiter; GETs are retried here (each retry is a new limiter slot), mutating calls never
 * are; every failure is translated once into an ApiError by api-errors.ts.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import got, { type Got, type OptionsOfTextResponseBody, type Response } from 'got';
import { sleep, systemClock, type Clock } from '../clock.js';
import { ApiError, ConfigError, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { defaultTimeoutMs, parseApiUrl, type ApiConfig } from './api-config.js';
import { parseRetryAfter, toApiError, type ApiFailure } from './api-errors.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultRetryDelayOptions, retryDelayMs, type RetryDelayOptions } from './retry-delay.js';
import { RetryLogLevel } from './retry-log-level.js';
import { fencedAgents, fencedWriteError, type MutationFence } from '../leader/fence.js';
import { normalizeRoute } from './route.js';

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
  /**
   * Runs inside the call's rate-limiter slot, right before each send (a restart's write-ahead: recorded
   * as applied only once it is about to go out, not while it waits for a slot). When it rejects, nothing
   * is sent and `request` throws its error as it is.
   */
  beforeSend?: () => Promise<void>;
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

/** The Rancher HTTP client. `request` throws ApiError only (or what a request's `beforeSend` threw). */
export interface HttpClient {
  /** `http(s)://host[:port]/v1` or `.../v1/projects/<id>`, no trailing slash. */
  readonly baseUrl: string;
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
  /**
   * Replicas (leader/elector.ts): mutating calls are sent only while this answers true, checked before
   * the call and again on every socket write (leader/fence.ts); a refused call never left the process.
   */
  fence?: MutationFence;
  /** Sent as `User-Agent` (Rancher's audit log shows it): `rancher-reconciler`, with the replica's id when there are replicas. */
  userAgent?: string;
}>;

/**
 * Builds the client for one Rancher endpoint. Throws ConfigError for a bad URL or unreadable CA file.
 * Credentials travel only in the Authorization header; `X-API-No-Challenge: true` asks Rancher not to
 * send a browser Basic challenge on 401 (docs/rancher-v1.md#authentication). Redirects are not followed.
 */
export function createHttpClient(config: ApiConfig, deps: HttpClientDeps): HttpClient {
  return new RancherHttpClient(config, deps);
}

/** The TLS settings shared by got's agents and the event websocket. */
type Tls = Readonly<{ ca: string[] | undefined; rejectUnauthorized: boolean }>;

/** The keep-alive agents of a client; `close()` destroys them. */
type Agents = Readonly<{ http: HttpAgent; https: HttpsAgent }>;

/** The GET retry budget of {@link HttpClientDeps}, defaults applied. */
type RetryPolicy = Readonly<{ limit: number; throttledLimit: number; delayOptions: RetryDelayOptions; random: () => number }>;

/** Attempts counted against the retry budget, by kind: 429s have their own, larger allowance. */
type Spent = { failures: number; throttled: number };

/**
 * The client behind {@link createHttpClient}: the GET retry loop (`request`) around one attempt per
 * limiter slot (`#attempt`), on URLs from `#resolve` and the one got instance from {@link extendGot}.
 */
class RancherHttpClient implements HttpClient {
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #deps: HttpClientDeps;
  readonly #clock: Clock;
  readonly #retry: RetryPolicy;
  readonly #auth: Readonly<Record<string, string>>;
  readonly #tls: Tls;
  readonly #agents: Agents;
  readonly #got: Got;
  /** With a fence: the got instance of mutating calls, on agents of their own whose sockets check the fence. */
  readonly #mutations: Readonly<{ agents: Agents; got: Got }> | undefined;
  /** One warning per kind of failure while it repeats (a long outage is retried by every list). */
  readonly #retryLevel = new RetryLogLevel();

  constructor(config: ApiConfig, deps: HttpClientDeps) {
    const parsed = parseApiUrl(config.url);
    if ('issues' in parsed) throw new ConfigError(parsed.issues);
    this.baseUrl = parsed.baseUrl;
    this.#origin = new URL(parsed.baseUrl).origin;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#retry = { limit: deps.getRetryLimit ?? 4, throttledLimit: deps.getThrottledRetryLimit ?? 10, delayOptions: deps.retryDelay ?? defaultRetryDelayOptions, random: deps.random ?? Math.random };
    this.#auth = authorizationHeader(config);
    this.#tls = { ca: certificateAuthorities(config), rejectUnauthorized: config.insecureSkipTlsVerify !== true };
    const { ca, rejectUnauthorized } = this.#tls;
    this.#agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true, rejectUnauthorized, ...(ca ? { ca } : {}) }) };
    const timeoutMs = config.timeoutMs > 0 ? config.timeoutMs : defaultTimeoutMs;
    const userAgent = deps.userAgent ?? 'rancher-reconciler';
    this.#got = extendGot({ auth: this.#auth, tls: this.#tls, agents: this.#agents, timeoutMs, userAgent });
    if (deps.fence !== undefined) {
      const agents = fencedAgents(deps.fence, { https: { rejectUnauthorized, ...(ca ? { ca } : {}) } });
      this.#mutations = { agents, got: extendGot({ auth: this.#auth, tls: this.#tls, agents, timeoutMs, userAgent }) };
    }
  }

  /**
   * Sends `request`; throws ApiError only. A GET that fails retryably is tried again (each attempt takes a
   * new limiter slot) after `retryDelayMs` or the server's Retry-After, up to `getRetryLimit` failures plus
   * `getThrottledRetryLimit` 429s; any other method is sent once, since a lost answer may hide a commit.
   */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const url = this.#resolve(request.path, request.searchParams);
    const { delayOptions, random } = this.#retry;
    // a standby does not wait for a limiter slot only to be refused in it (checked again in the slot)
    if (request.method !== 'GET' && this.#deps.fence?.() === false) throw translate(fencedWriteError(), request, url);
    const spent: Spent = { failures: 0, throttled: 0 };
    for (let attemptNo = 1; ; attemptNo += 1) {
      try {
        const response = await this.#deps.limiter.schedule(() => this.#attempt(request, url), request.signal);
        this.#retryLevel.succeeded();
        return response;
      } catch (e: unknown) {
        if (e instanceof BeforeSendFailed) throw e.cause;
        // the limiter rejects with the abort reason when a queued call is aborted: an ERR_API_ABORTED too
        const error = e instanceof ApiError ? e : translate(e, request, url);
        if (!this.#mayRetry(request, error, spent)) throw error;
        const retryInMs = retryDelayMs(attemptNo, error.retryAfterMs, delayOptions, random);
        this.#deps.log?.[this.#retryLevel.failed(error)]({ http: { method: request.method, route: normalizeRoute(url) }, attempt: attemptNo, retryInMs, err: { code: error.code, message: error.message } }, 'api request retrying');
        await this.#pause(retryInMs, request, url);
      }
    }
  }

  subscribeTarget(): SubscribeTarget {
    const url = this.#resolve('subscribe', { eventNames: 'resource.change' });
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const { ca, rejectUnauthorized } = this.#tls;
    return { url: url.toString(), headers: { ...this.#auth }, ...(ca ? { ca } : {}), rejectUnauthorized };
  }

  close(): void {
    for (const agents of [this.#agents, this.#mutations?.agents]) {
      agents?.http.destroy();
      agents?.https.destroy();
    }
  }

  /**
   * The URL of `path`: relative to the base URL (so under `/v1/projects/<id>` when scoped), or an absolute
   * Rancher link (a `next` page) of which only path and query are kept, on our own origin.
   */
  #resolve(path: string, searchParams?: HttpRequest['searchParams']): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(`${this.baseUrl}/${path.replace(/^\/+/, '')}`);
    const target = new URL(`${this.#origin}${url.pathname}${url.search}`);
    for (const [key, value] of Object.entries(searchParams ?? {})) target.searchParams.set(key, String(value));
    return target;
  }

  /**
   * One attempt (the caller holds a limiter slot): one got call, reported to the observer and the debug
   * log; throws ApiError only.
   */
  async #attempt(request: HttpRequest, url: URL): Promise<HttpResponse> {
    const started = this.#clock.now();
    const route = normalizeRoute(url);
    const mutating = request.method !== 'GET';
    if (request.beforeSend !== undefined) await request.beforeSend().catch((e: unknown) => Promise.reject(new BeforeSendFailed(e)));
    if (mutating && this.#deps.fence?.() === false) throw translate(fencedWriteError(), request, url);
    let response: Response<string>;
    try {
      response = await (mutating ? this.#mutations?.got ?? this.#got : this.#got)(url, gotOptions(request));
    } catch (e: unknown) {
      this.#observe(request.method, route, 'error', started);
      throw translate(e, request, url);
    }
    this.#observe(request.method, route, response.statusCode, started);
    return this.#read(response, request, url);
  }

  /** Reports one finished attempt (`error`: no HTTP answer) to the metrics observer and the debug log. */
  #observe(method: HttpMethod, route: string, status: number | 'error', started: number): void {
    const durationMs = this.#clock.now() - started;
    this.#deps.onRequest?.({ method, route, status, durationMs });
    this.#deps.log?.debug({ http: { method, route, status }, durationMs }, status === 'error' ? 'api request failed' : 'api request');
  }

  /** Tells the limiter whether Rancher throttled us, then turns a non-2xx answer into an ApiError or parses the body. */
  #read(response: Response<string>, request: HttpRequest, url: URL): HttpResponse {
    const status = response.statusCode;
    const retryAfterHeader = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader, this.#clock.now());
    if (status === 429 || (status === 503 && retryAfterMs !== undefined)) this.#deps.limiter.throttled(retryAfterMs);
    else this.#deps.limiter.succeeded();
    const target = { method: request.method, url: url.toString() };
    if (status < 200 || status >= 300) {
      throw toApiError({ kind: 'status', status, body: response.body, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }, target);
    }
    return parseBody(status, response.body, target);
  }

  /** Counts `error` against the budget; true when it may be retried (a retryable GET within the budget). */
  #mayRetry(request: HttpRequest, error: ApiError, spent: Spent): boolean {
    if (error.code === 'ERR_API_RATE_LIMITED') spent.throttled += 1;
    else spent.failures += 1;
    return request.method === 'GET' && error.retryable && spent.failures <= this.#retry.limit && spent.throttled <= this.#retry.throttledLimit;
  }

  /** Waits before the next attempt; an abort while waiting is an ERR_API_ABORTED. */
  async #pause(delayMs: number, request: HttpRequest, url: URL): Promise<void> {
    try {
      await sleep(this.#clock, delayMs, request.signal);
    } catch (abortReason: unknown) {
      throw toApiError({ kind: 'aborted' }, { method: request.method, url: url.toString() }, coerceError(abortReason));
    }
  }
}

/** What a request's `beforeSend` threw, carried out of the limiter slot to be thrown as it is. */
class BeforeSendFailed {
  readonly cause: unknown;

  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/** The one got instance of a client: our headers, agents and timeouts; no retries, redirects or throwing. */
function extendGot(setup: Readonly<{ auth: Readonly<Record<string, string>>; tls: Tls; agents: Agents; timeoutMs: number; userAgent: string }>): Got {
  const { ca, rejectUnauthorized } = setup.tls;
  return got.extend({
    headers: { accept: 'application/json', 'x-api-no-challenge': 'true', 'user-agent': setup.userAgent, ...setup.auth },
    agent: setup.agents,
    https: { rejectUnauthorized, ...(ca ? { certificateAuthority: ca } : {}) },
    timeout: { connect: Math.min(10_000, setup.timeoutMs), request: setup.timeoutMs },
    retry: { limit: 0 }, // retries are ours: each one must take a limiter slot
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
  });
}

/** got's per-call options: a POST without a body still sends `{}` (Rancher actions expect a JSON body). */
function gotOptions(request: HttpRequest): OptionsOfTextResponseBody {
  return {
    method: request.method,
    ...(request.json !== undefined ? { json: request.json } : request.method === 'POST' ? { json: {} } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
}

/** A 2xx body as JSON (undefined when empty); a body that is not JSON is ERR_API_INVALID_RESPONSE. */
function parseBody(status: number, body: string, target: Readonly<{ method: string; url: string }>): HttpResponse {
  if (body.trim() === '') return { status, body: undefined };
  try {
    return { status, body: JSON.parse(body) as unknown };
  } catch (e: unknown) {
    throw toApiError({ kind: 'invalid-response', detail: `${status} with a body that is not JSON` }, target, coerceError(e));
  }
}

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

/** Anything got (or the limiter, on abort) throws, as the ApiError of this request: the one translation. */
function translate(error: unknown, request: HttpRequest, url: URL): ApiError {
  const { failure, cause } = failureOf(error, request.signal);
  return toApiError(failure, { method: request.method, url: url.toString() }, cause);
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
