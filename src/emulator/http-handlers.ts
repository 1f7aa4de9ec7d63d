import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { handleAdmin, readBody, type AdminTarget } from './admin.js';
import { ApiFailure, errorBody, statusPhrases } from './api-failure.js';
import type { ApiRoutes } from './api-routes.js';
import type { ApiResponse } from './container-routes.js';
import { clientIpHeader, clientIpOf } from './client-ip.js';
import { normalisePath, type RequestCounters } from './counters.js';
import type { EventHub } from './events.js';
import type { FaultDecision, FaultInjector } from './faults.js';
import type { Partition } from './partition.js';
import { summariseCreateBody, type RequestLog, type RequestLogEntry } from './request-log.js';
import { checkAuth, resolveScope, type RequestScope, type ScopeConfig } from './scope.js';
import type { HostAccessTokens } from './tokens.js';
import { parseJsonBody } from './validation.js';
import { hostAccessKindOf, serveHostAccess } from './websocket-host-access.js';

/** What the request handlers work with (built once by `startEmulator`). */
export type ServerParts = Readonly<{
  wss: WebSocketServer;
  log: Logger;
  faults: FaultInjector;
  counters: RequestCounters;
  requests: RequestLog;
  partition: Partition;
  hub: EventHub;
  /** Signs and checks the hostAccess tokens of execute/logs/proxy/console. */
  tokens: HostAccessTokens;
  routes: ApiRoutes;
  scopeConfig: ScopeConfig;
  admin: AdminTarget;
  fallbackHost: () => string;
  /** Resolves true after `delayMs` on the emulator clock, or false when the emulator closed meanwhile. */
  wait: (delayMs: number) => Promise<boolean>;
  /** Resolves once the store's changes are on disk (no-op without a data file); never rejects. */
  persisted: () => Promise<void>;
}>;

const jsonType = 'application/json; charset=utf-8';

function originOf(req: IncomingMessage, parts: ServerParts): string {
  return `http://${req.headers.host ?? parts.fallbackHost()}`;
}

function headersFor(origin: string, scope: RequestScope | undefined): Record<string, string> {
  return {
    'Content-Type': jsonType,
    'X-Api-Schemas': `${scope?.apiBase ?? `${origin}/v1`}/schemas`,
    ...(scope ? { 'X-Api-Account-Id': scope.projectId } : {}),
    Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
  };
}

function failureResponse(failure: ApiFailure): ApiResponse {
  return { status: failure.status, body: errorBody(failure), headers: failure.headers };
}

function faultFailure(effect: Extract<FaultDecision['effect'], { kind: 'error' }>): ApiFailure {
  const headers = effect.retryAfterSec === undefined ? undefined : { 'Retry-After': String(effect.retryAfterSec) };
  return ApiFailure.status(effect.status, headers);
}

function segmentsOf(path: string): string[] | undefined {
  if (path !== '/v1' && !path.startsWith('/v1/')) return undefined;
  const segments = path.slice(4).split('/');
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/** Processes one API request (auth, scope, body, route) into a response; never throws. */
function processRequest(parts: ServerParts, req: IncomingMessage, url: URL, bodyText: string, action: string | undefined):
  { response: ApiResponse; scope: RequestScope | undefined } {
  let scope: RequestScope | undefined;
  try {
    checkAuth(parts.scopeConfig, req.headers, false);
    scope = resolveScope(parts.scopeConfig, url.origin, url, req.headers);
    const segments = segmentsOf(scope.path);
    if (!segments) throw ApiFailure.status(404);
    const method = req.method ?? 'GET';
    const body = method === 'POST' || method === 'PUT' ? parseJsonBody(bodyText) : undefined;
    const routedUrl = new URL(`${scope.apiBase}${scope.path.slice(3)}${url.search}`);
    return { response: parts.routes.handle({ method, url: routedUrl, segments, action, body, scope }), scope };
  } catch (error: unknown) {
    if (error instanceof ApiFailure) return { response: failureResponse(error), scope };
    parts.log.error({ err: coerceError(error), http: { method: req.method, url: url.pathname } }, 'request failed');
    return { response: failureResponse(ApiFailure.status(500)), scope };
  }
}

/** Whether an answer can still reach the client (it has not gone, nothing was written yet). */
function canAnswer(req: IncomingMessage, res: ServerResponse): boolean {
  return !req.socket.destroyed && req.socket.writable && !res.destroyed && !res.headersSent;
}

/**
 * Writes `response` if the client can still get it (a partition withholds it: `hung`) and records the
 * outcome; `null` destroys the socket instead (`dropped`).
 */
function deliver(parts: ServerParts, req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry,
  response: ApiResponse | null, scope: RequestScope | undefined): void {
  if (parts.partition.active()) {
    // the socket is tracked: the window end destroys it
    entry.status = 'hung';
    return;
  }
  if (response === null || !canAnswer(req, res)) {
    req.socket.destroy();
    entry.status = 'dropped';
    return;
  }
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...headersFor(originOf(req, parts), scope), [clientIpHeader]: clientIpOf(req.headers, req.socket.remoteAddress),
    ...response.headers, 'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
  entry.status = response.status;
}

/** The id a successful POST /containers created, from its answer body. */
function createdId(response: ApiResponse): string | null {
  const body = response.body as Record<string, unknown> | null;
  return response.status === 201 && typeof body?.['id'] === 'string' ? body['id'] : null;
}

/**
 * Serves one HTTP request: `/_emulator/*` admin routes at once, API requests through the partition, the
 * fault plan (body read first, then the wait, then processing whether or not the client is still there)
 * and the request log. A committed mutation is answered only once it is saved (with a data file).
 */
export async function onRequest(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', originOf(req, parts));
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith('/_emulator/')) {
    parts.partition.untrack(req.socket);
    let bodyText: string;
    try {
      bodyText = await readBody(req);
    } catch {
      // the caller went away mid-body: there is nobody to answer
      return;
    }
    handleAdmin(parts.admin, method, url, bodyText, res);
    return;
  }
  const action = url.searchParams.get('action') ?? undefined;
  const path = normalisePath(url.pathname);
  parts.counters.count(method, url.pathname, action);
  const entry = parts.requests.begin({ method, path, action, userAgent: req.headers['user-agent'] });
  parts.partition.track(req.socket);
  if (parts.partition.active()) {
    // never read, never processed: the window end destroys the socket
    entry.status = 'hung';
    entry.fault = 'partition';
    return;
  }
  const decision = parts.faults.decide({ method, path, action });
  entry.fault = decision.fault;
  if (decision.effect?.kind === 'drop-before') return deliver(parts, req, res, entry, null, undefined);
  let bodyText: string;
  try {
    bodyText = await readBody(req);
  } catch {
    // the client went away before sending the whole body: nothing can be processed
    entry.status = 'dropped';
    return;
  }
  const isCreate = method === 'POST' && action === undefined && /^\/v1\/containers$/.test(path);
  if (isCreate) entry.body = summariseCreateBody(bodyText);
  if (decision.delayMs > 0 && !(await parts.wait(decision.delayMs))) return;
  const effect = decision.effect;
  if (effect?.kind === 'error') return deliver(parts, req, res, entry, failureResponse(faultFailure(effect)), undefined);
  const { response, scope } = processRequest(parts, req, url, bodyText, action);
  entry.committed = true;
  entry.apiStatus = response.status;
  if (isCreate) entry.containerId = createdId(response);
  parts.log.debug({ http: { method, url: url.pathname, status: response.status } }, 'request served');
  if (method !== 'GET' && response.status < 400) await parts.persisted();
  if (effect?.kind === 'commit-then-fail') {
    const failure = effect.status === undefined ? null : failureResponse(ApiFailure.status(effect.status));
    return deliver(parts, req, res, entry, failure, undefined);
  }
  deliver(parts, req, res, entry, response, scope);
}

function refuseUpgrade(socket: Duplex, failure: ApiFailure): void {
  const text = JSON.stringify(errorBody(failure));
  const extra = Object.entries(failure.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${failure.status} ${statusPhrases[failure.status] ?? 'Error'}\r\nContent-Type: ${jsonType}\r\n${extra}`
    + `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/** A host-access upgrade: the host agent checks the JWT, not the API keys, so the token is the credential. */
function upgradeHostAccess(parts: ServerParts, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL,
  entry: RequestLogEntry, refuse: (failure: ApiFailure | null) => void): void {
  const kind = hostAccessKindOf(url.pathname);
  if (kind === undefined) return refuse(ApiFailure.status(404));
  try {
    serveHostAccess(parts, kind, req, socket, head, url, () => {
      entry.committed = true;
      entry.apiStatus = 101;
      entry.status = 101;
    });
  } catch (error: unknown) {
    refuse(error instanceof ApiFailure ? error : ApiFailure.status(500));
  }
}

/**
 * Serves a websocket upgrade (`/v1/subscribe`, and the host-access endpoints of websocket-host-access.ts),
 * with the same partition, faults and log as API requests.
 */
export async function onUpgrade(parts: ServerParts, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const origin = originOf(req, parts);
  const url = new URL(req.url ?? '/', origin);
  const method = req.method ?? 'GET';
  socket.on('error', (error: Error) => parts.log.debug({ err: error }, 'upgrade socket failed'));
  parts.counters.count(method, url.pathname, undefined);
  const path = normalisePath(url.pathname);
  const entry = parts.requests.begin({ method, path, action: undefined, userAgent: req.headers['user-agent'] });
  parts.partition.track(socket);
  if (parts.partition.active()) {
    entry.status = 'hung';
    entry.fault = 'partition';
    return;
  }
  const decision = parts.faults.decide({ method, path, action: undefined });
  entry.fault = decision.fault;
  if (decision.delayMs > 0 && !(await parts.wait(decision.delayMs))) return;
  const refuse = (failure: ApiFailure | null): void => {
    if (parts.partition.active()) entry.status = 'hung';
    else if (failure === null || socket.destroyed) {
      socket.destroy();
      entry.status = 'dropped';
    } else {
      refuseUpgrade(socket, failure);
      entry.status = failure.status;
    }
  };
  const effect = decision.effect;
  if (effect?.kind === 'drop-before') return refuse(null);
  if (effect?.kind === 'error') return refuse(faultFailure(effect));
  if (effect?.kind === 'commit-then-fail') return refuse(effect.status === undefined ? null : ApiFailure.status(effect.status));
  if (hostAccessKindOf(url.pathname) !== undefined) return upgradeHostAccess(parts, req, socket, head, url, entry, refuse);
  let scope: RequestScope;
  try {
    checkAuth(parts.scopeConfig, req.headers, true);
    scope = resolveScope(parts.scopeConfig, origin, url, req.headers);
    if (scope.path.replace(/\/+$/, '') !== '/v1/subscribe') throw ApiFailure.status(404);
    if (parts.faults.rejectsSubscriptions()) throw ApiFailure.status(503);
  } catch (error: unknown) {
    return refuse(error instanceof ApiFailure ? error : ApiFailure.status(500));
  }
  if (parts.partition.active() || socket.destroyed) return refuse(null);
  // ws answers a malformed handshake itself (400) without calling back: the entry then stays pending
  parts.wss.handleUpgrade(req, socket, head, (ws) => {
    entry.committed = true;
    entry.apiStatus = 101;
    entry.status = 101;
    parts.hub.add(ws, scope, url.searchParams.getAll('eventNames'));
  });
}
