/**
 * The status server of `run`: health, readiness, Prometheus metrics, the status document and a
 * trigger for a full re-read, on node:http.
 *
 * | route | answer |
 * |---|---|
 * | `GET /healthz` | 200 `ok`, or 503 `unhealthy: <reason>` when the loop is wedged |
 * | `GET /readyz` | 200 `ready`, or 503 `not ready: <reason>; <reason>` |
 * | `GET /metrics` | Prometheus text (prom-client content type) |
 * | `GET /status` | every environment's status as JSON: `{ ready, notReady, environments: [{ name, ...StatusDocument }] }` |
 * | `GET /status/<environment>` | one environment's `{ name, ...StatusDocument }`; 404 naming the environments for another name |
 * | `GET /events`, `GET /events/stream` | the event history as JSON, and as server-sent events with `Last-Event-ID` resume (event-routes.ts) |
 * | `GET /schema/instance.json` | the manifests' JSON Schema (manifest/json-schema.ts), for editors |
 * | `GET /`, `GET /ui/dashboard.js`, `/ui/dashboard.css` | the read-only web dashboard (dashboard/dashboard-routes.ts) |
 * | `GET /login`, `POST /login` | with `uiToken` only: the login form and its submission (login-routes.ts) |
 * | `POST /reconcile` | 202; 401 when a token is configured and `Authorization: Bearer <token>` is missing or wrong |
 * | `POST /suspend`, `POST /resume` | the daemon's suspension (suspend-routes.ts): 200; 403 without `--control-token-file`; 401 bad token |
 * | `POST /hooks/github`, `/hooks/gitlab`, `/hooks/gitea`, `/hooks/generic` | the git source's webhook receivers (webhooks/receiver.ts): 200 ping; 202 `{ accepted, triggered, reason? }`; 400 unreadable body; 401 bad signature; 404 provider not configured; 413 body over 1 MiB |
 * | `/hooks/*` without the git source | 404 `webhooks need the git source (--git-url)` |
 *
 * GET routes answer HEAD too. A known path with another method gets 405 with `Allow`; anything else 404
 * (JSON). With `uiToken`, `/`, `/ui/*` but the stylesheet, `/status` and `/events*` need the bearer token or
 * the login cookie (ui-auth.ts): a browser's GET without them is sent to `/login` (303), anything else
 * gets 401 `{ message }`. Responses are never cached. The tokens and the webhook secrets are never logged. Bodies are read
 * only on `/hooks/*` and an authorized `POST /suspend`, counted as they arrive and never past the limit: a
 * request over it gets 413 and its connection is closed once the answer is out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '../config.js';
import type { StatusSource } from '../domain/status.js';
import { ConfigError, assertNever, coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventSource } from '../observability/event-model.js';
import { listEvents, streamEvents, type EventStreamOptions } from './event-routes.js';
import { instanceJsonSchemaText } from '../manifest/json-schema.js';
import type { Metrics } from '../observability/metrics.js';
import { hasBearerToken } from './bearer-token.js';
import { readBody } from './read-body.js';
import { answerControl, type SuspensionControl } from './suspend-routes.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { loginPage } from './dashboard/login-page.js';
import { answerLogin, type LoginDeps } from './login-routes.js';
import { createUiAuth, refusalFor, type UiAuth } from './ui-auth.js';
import type { WebhookReceiver } from './webhooks/receiver.js';

/** What the status server needs; `host`/`port` come from `config.http` (port 0 = any free port). */
export type StatusServerOptions = Readonly<{
  host: string;
  port: number;
  log: Logger;
  /** What `GET /metrics` renders (the daemon's: app/daemon-metrics.ts). */
  metrics: Pick<Metrics, 'contentType' | 'render'>;
  source: StatusSource;
  /** When set, POST /reconcile requires `Authorization: Bearer <reconcileToken>`. */
  reconcileToken?: string;
  /** The git source's webhook receivers (`POST /hooks/<provider>`); without them `/hooks/*` answers 404. */
  webhooks?: WebhookReceiver;
  /** The daemon's suspension (`POST /suspend`, `/resume`: suspend-routes.ts); without it those paths are unknown. */
  control?: SuspensionControl;
  /** Enables `POST /suspend` and `/resume` (403 without it); they require `Authorization: Bearer <controlToken>`. */
  controlToken?: string;
  /** When set, the dashboard, `/status` and `/events*` require `Authorization: Bearer <uiToken>` or the login cookie. */
  uiToken?: string;
  /** The event history: `GET /events` and `/events/stream` (event-routes.ts); without it those paths are unknown. */
  events?: EventSource;
  /** The stream's heartbeat, buffer limit and clock (tests shorten the heartbeat). */
  eventStream?: EventStreamOptions;
}>;

/** A listening status server. `close()` stops it and drops open connections; calling it twice is safe. */
export type StatusServer = Readonly<{
  /** Base URL, e.g. `http://127.0.0.1:8081` (IPv6 hosts in brackets). */
  url: string;
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}>;

/** `closeConnection`: the request body was left unread, so the connection cannot carry another request. */
type Reply = Readonly<{ status: number; type: string; body: string; headers?: Readonly<Record<string, string>>; closeConnection?: boolean }>;
/** `readsBody`: the handler reads or drains the body itself (undefined: the client went away meanwhile). */
/** A handler that answers `undefined` without the client gone has taken the response over (the event stream). */
type Route = Readonly<{ method: 'GET' | 'POST'; handle: (req: IncomingMessage, res: ServerResponse) => Reply | undefined | Promise<Reply | undefined>; readsBody?: true }>;

const textType = 'text/plain; charset=utf-8';
const jsonType = 'application/json; charset=utf-8';
const text = (status: number, body: string): Reply => ({ status, type: textType, body: `${body}\n` });
const json = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({
  status,
  type: jsonType,
  body: `${JSON.stringify(value, null, 2)}\n`,
  ...(headers ? { headers } : {}),
});

/**
 * Starts the status server and resolves once it is listening.
 *
 * @throws ConfigError naming `--listen` when the address cannot be bound (in use, not available, no permission).
 * @example
 * const server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source });
 * // ... later
 * await server.close();
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const log = options.log.child({ component: 'http' });
  const auth = options.uiToken === undefined ? undefined : createUiAuth(options.uiToken);
  const routes = withUiAuth(buildRoutes(options, log), auth);
  const login: LoginDeps | undefined = auth === undefined ? undefined : { auth, page: loginPage(), log };
  const server = createServer((req, res) => {
    void respond({ routes, webhooks: options.webhooks, login }, req, res, log);
  });
  await listen(server, options.host, options.port);
  server.on('error', (e: Error) => log.error({ err: e }, 'status server error'));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${formatHostPort(options.host, port)}`;
  log.info({ url }, 'status server listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // status clients (probes, scrapers) keep connections alive; they must not hold shutdown up
        server.closeAllConnections();
      }).then(() => log.info('status server closed'));
      return closing;
    },
  };
}

function buildRoutes(options: StatusServerOptions, log: Logger): ReadonlyMap<string, Route> {
  const { source, metrics, reconcileToken } = options;
  const schemaText = instanceJsonSchemaText();
  const routes = new Map<string, Route>([
    ['/healthz', { method: 'GET', handle: () => {
      const health = source.health();
      return health.ok ? text(200, 'ok') : text(503, `unhealthy: ${health.reason ?? 'unknown'}`);
    } }],
    ['/readyz', { method: 'GET', handle: () => {
      const readiness = source.readiness();
      return readiness.ready ? text(200, 'ready') : text(503, `not ready: ${readiness.reasons.join('; ') || 'unknown'}`);
    } }],
    ['/metrics', { method: 'GET', handle: async () => ({ status: 200, type: metrics.contentType, body: await metrics.render() }) }],
    ['/status', { method: 'GET', handle: () => json(200, source.status()) }],
    [environmentStatusRoute, { method: 'GET', handle: (req) => environmentStatus(source, decodeSegment(pathOf(req.url).slice('/status/'.length))) }],
    ['/schema/instance.json', { method: 'GET', handle: () => ({ status: 200, type: 'application/schema+json; charset=utf-8', body: schemaText }) }],
    ['/reconcile', { method: 'POST', handle: (req) => {
      if (reconcileToken !== undefined && !hasBearerToken(req.headers.authorization, reconcileToken)) {
        log.warn({ remoteAddress: req.socket.remoteAddress }, 'reconcile request rejected');
        return json(401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="rancher-reconciler"' });
      }
      source.requestReconcile();
      log.info({ remoteAddress: req.socket.remoteAddress }, 'reconcile requested');
      return json(202, { accepted: true });
    } }],
    ...controlRoutes(options, log),
    ...eventRoutes(options, log),
  ]);
  return withDashboard(routes, reconcileToken !== undefined);
}

/** The route that answers `/status/<environment>` (respond maps every such path to it). */
const environmentStatusRoute = '/status/:environment';

function environmentStatus(source: StatusSource, name: string | undefined): Reply {
  const { environments } = source.status();
  const found = environments.find((environment) => environment.name === name);
  if (found !== undefined) return json(200, found);
  return json(404, { error: `no environment ${JSON.stringify(name ?? '')}: expected one of ${environments.map((environment) => environment.name).join(', ')}` });
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Adds the dashboard last: it tells the page whether the event stream is served, so it never asks for a 404. */
function withDashboard(routes: Map<string, Route>, reconcileToken: boolean): ReadonlyMap<string, Route> {
  for (const [path, handle] of dashboardRoutes({ reconcileToken, events: routes.has('/events/stream') })) routes.set(path, { method: 'GET', handle });
  return routes;
}

/** Whether `--ui-token-file` protects `path`: the dashboard and what it reads, but the stylesheet the login form needs. */
const isProtected = (path: string): boolean =>
  path === '/' || path === '/status' || path === environmentStatusRoute || path === '/events' || path === '/events/stream' || (path.startsWith('/ui/') && path !== '/ui/dashboard.css');

/** Puts the protected routes behind the UI token (ui-auth.ts), when there is one. */
function withUiAuth(routes: ReadonlyMap<string, Route>, auth: UiAuth | undefined): ReadonlyMap<string, Route> {
  if (auth === undefined) return routes;
  return new Map([...routes].map(([path, route]): [string, Route] => [path, isProtected(path) ? { ...route, handle: (req, res) => (auth.allows(req.headers) ? route.handle(req, res) : refused(req)) } : route]));
}

function refused(req: IncomingMessage): Reply {
  const refusal = refusalFor(req);
  if (refusal.kind === 'login-redirect') return { status: 303, type: textType, body: 'see /login\n', headers: { Location: '/login' } };
  return json(401, { message: refusal.message }, { 'WWW-Authenticate': 'Bearer realm="rancher-reconciler"' });
}

/** `GET /events` and `/events/stream` (event-routes.ts), when there is an event history; as open as `/status`. */
function eventRoutes(options: StatusServerOptions, log: Logger): [string, Route][] {
  const { events } = options;
  if (events === undefined) return [];
  const deps = { source: events, log, ...(options.eventStream === undefined ? {} : { stream: options.eventStream }) };
  return [
    ['/events', { method: 'GET', handle: (req) => {
      const answer = listEvents(urlOf(req.url), events);
      return json(answer.status, answer.body);
    } }],
    ['/events/stream', { method: 'GET', handle: (req, res) => {
      const answer = streamEvents(req, res, urlOf(req.url), deps);
      return answer === undefined ? undefined : json(answer.status, answer.body);
    } }],
  ];
}

/** `POST /suspend` and `/resume` (suspend-routes.ts), when the daemon has a suspension to drive. */
function controlRoutes(options: StatusServerOptions, log: Logger): [string, Route][] {
  const { control, controlToken } = options;
  if (control === undefined) return [];
  return (['suspend', 'resume'] as const).map((action): [string, Route] => [`/${action}`, { method: 'POST', readsBody: true, handle: async (req) => {
    const reply = await answerControl(action, req, { control, token: controlToken, log });
    return reply === undefined ? undefined : { ...json(reply.status, reply.body, reply.headers === undefined ? undefined : { ...reply.headers }), closeConnection: reply.closeConnection === true };
  } }]);
}

/** What `respond` dispatches to: the routes, and the paths that read their own bodies (`/hooks/*`, `/login`). */
type Handlers = Readonly<{ routes: ReadonlyMap<string, Route>; webhooks: WebhookReceiver | undefined; login: LoginDeps | undefined }>;

async function respond({ routes, webhooks, login }: Handlers, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const startedAt = performance.now();
  const method = req.method ?? 'GET';
  const path = pathOf(req.url);
  const hook = path.startsWith(hooksPrefix);
  const loginForm = login !== undefined && path === '/login';
  const route = routes.get(/^\/status\/[^/]+$/.test(path) ? environmentStatusRoute : path);
  // other bodies are never read; drain them so keep-alive connections stay usable
  if (!hook && !loginForm && !(route?.readsBody === true && method === route.method)) req.resume();
  let reply: Reply | undefined;
  try {
    if (hook) reply = await answerWebhook(webhooks, req, method, path.slice(hooksPrefix.length));
    else if (loginForm) reply = await answerLogin(req, login);
    else if (!route) reply = json(404, { error: 'not found' });
    else if (method === route.method || (method === 'HEAD' && route.method === 'GET')) reply = await route.handle(req, res);
    else reply = json(405, { error: 'method not allowed' }, { Allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
  } catch (e: unknown) {
    log.error({ err: coerceError(e), path }, 'status request failed');
    reply = json(500, { error: 'internal error' });
  }
  // the client went away while sending its body: nobody is left to answer
  if (reply === undefined || res.destroyed) return;
  res.writeHead(reply.status, {
    'Content-Type': reply.type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(reply.closeConnection ? { Connection: 'close' } : {}),
    ...reply.headers,
  });
  // destroy only once the answer is out, so the client reads the 413 instead of a reset
  res.end(reply.body, reply.closeConnection ? () => req.destroy() : undefined);
  log.debug({ http: { method, path, status: reply.status }, durationMs: Math.round(performance.now() - startedAt) }, 'status request');
}

const hooksPrefix = '/hooks/';

/** `/hooks/<provider>`: the receiver's early answer, or the body read within its limit and handed over. */
async function answerWebhook(webhooks: WebhookReceiver | undefined, req: IncomingMessage, method: string, provider: string): Promise<Reply | undefined> {
  if (webhooks === undefined) return drained(req, json(404, { error: 'webhooks need the git source (--git-url)' }));
  const early = webhooks.precheck(provider);
  if (early !== undefined) return drained(req, json(early.status, early.body));
  if (method !== 'POST') return drained(req, json(405, { error: 'method not allowed' }, { Allow: 'POST' }));
  const read = await readBody(req, webhooks.maxBodyBytes);
  const remoteAddress = req.socket.remoteAddress;
  switch (read.kind) {
    case 'aborted':
      return undefined;
    case 'too-large': {
      const reply = webhooks.tooLarge(provider, remoteAddress);
      return { ...json(reply.status, reply.body), closeConnection: true };
    }
    case 'read': {
      const reply = webhooks.handle(provider, req.headers, read.body, remoteAddress);
      return json(reply.status, reply.body);
    }
    default:
      return assertNever(read, 'body read');
  }
}

/** Answers without reading the body: drain it so a keep-alive connection stays usable. */
function drained(req: IncomingMessage, reply: Reply): Reply {
  req.resume();
  return reply;
}

function urlOf(rawUrl: string | undefined): URL {
  try {
    return new URL(rawUrl ?? '/', 'http://status.invalid');
  } catch {
    return new URL('http://status.invalid/');
  }
}

function pathOf(rawUrl: string | undefined): string {
  try {
    return new URL(rawUrl ?? '/', 'http://status.invalid').pathname;
  } catch {
    // a request line that is not a path at all: it matches no route
    return '';
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error & { code?: string }): void => {
      reject(new ConfigError([`--listen: cannot listen on ${formatHostPort(host, port)} (${e.code ?? e.message})`]));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
