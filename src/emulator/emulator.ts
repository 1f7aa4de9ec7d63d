import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { sleep, systemClock, type Clock } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { handleAdmin, readBody } from './admin.js';
import { ApiFailure, errorBody, statusPhrases } from './api-failure.js';
import { ApiRoutes } from './api-routes.js';
import { ContainerRoutes, type ApiResponse } from './container-routes.js';
import { RequestCounters, normalisePath } from './counters.js';
import { EventHub } from './events.js';
import { FaultInjector, type FaultDecision, type FaultPlan } from './faults.js';
import { toSeconds } from './format.js';
import { InstanceLifecycle } from './lifecycle.js';
import { renderInstance } from './render.js';
import { SchemaRegistry } from './schemas.js';
import { checkAuth, resolveScope, type RequestScope, type ScopeConfig } from './scope.js';
import { EmulatorStore, type HostRecord } from './store.js';
import { TimerSet } from './timers.js';
import { parseJsonBody } from './validation.js';

export type { FaultPlan, FaultRule } from './faults.js';

/** Options of {@link startEmulator}. Every field is optional; defaults are given per field. */
export type EmulatorOptions = {
  /** Default 0 (any free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Both given => access control on (401 without valid Basic auth). */
  accessKey?: string;
  secretKey?: string;
  /** Simulated hosts, default 1 (ids 1h1..1hN). */
  hosts?: number;
  /** Duration of each transitioning state in ms, default 250. */
  transitionMs?: number;
  /** Default systemClock. */
  clock?: Clock;
  /** resource.change coalescing window in ms, default 1000 (real Rancher: 1 s). */
  eventCoalesceMs?: number;
  /** Default 5000. */
  pingIntervalMs?: number;
  /** removed -> purged after this delay in ms, default 600000 (real: random 0-600 s). */
  purgeDelayMs?: number;
  /** Project ids, default ['1a5']; the first is the default project. */
  projects?: string[];
  /** Default silent. */
  logger?: Logger;
  faults?: FaultPlan;
};

/** A running emulator. */
export type EmulatorHandle = {
  /** 'http://127.0.0.1:PORT/v1' (host as given). */
  url: string;
  port: number;
  /** Closes websockets and all connections, then the server. */
  close(): Promise<void>;
  /** Replaces the fault plan. */
  setFaults(plan: FaultPlan): void;
  /** Requests counted by `${METHOD} ${route}` and `total`. */
  counters(): Readonly<Record<string, number>>;
  resetCounters(): void;
  /** Cuts every /v1/subscribe websocket (a "websocket cut" fault). */
  closeSubscriptions(): void;
};

type Parts = Readonly<{
  server: Server;
  wss: WebSocketServer;
  clock: Clock;
  log: Logger;
  timers: TimerSet;
  faults: FaultInjector;
  counters: RequestCounters;
  hub: EventHub;
  routes: ApiRoutes;
  scopeConfig: ScopeConfig;
  fallbackHost: () => string;
}>;

const jsonType = 'application/json; charset=utf-8';

function originOf(req: IncomingMessage, parts: Parts): string {
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
function processRequest(parts: Parts, req: IncomingMessage, url: URL, bodyText: string, action: string | undefined):
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

function write(res: ServerResponse, origin: string, response: ApiResponse, scope: RequestScope | undefined): void {
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...headersFor(origin, scope), ...response.headers, 'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

async function onRequest(parts: Parts, admin: Parameters<typeof handleAdmin>[0], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = originOf(req, parts);
  const url = new URL(req.url ?? '/', origin);
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith('/_emulator/')) {
    handleAdmin(admin, method, url.pathname, await readBody(req), res);
    return;
  }
  const action = url.searchParams.get('action') ?? undefined;
  parts.counters.count(method, url.pathname, action);
  const decision = parts.faults.decide({ method, path: normalisePath(url.pathname), action });
  if (decision.latencyMs > 0) await sleep(parts.clock, decision.latencyMs);
  if (decision.effect?.kind === 'drop-before') {
    req.socket.destroy();
    return;
  }
  if (decision.effect?.kind === 'error') {
    write(res, origin, failureResponse(faultFailure(decision.effect)), undefined);
    return;
  }
  const bodyText = await readBody(req);
  const { response, scope } = processRequest(parts, req, url, bodyText, action);
  parts.log.debug({ http: { method, url: url.pathname, status: response.status } }, 'request served');
  if (decision.effect?.kind === 'drop-after') {
    // the mutation is committed; the client never hears about it (the "lost response" case)
    req.socket.destroy();
    return;
  }
  write(res, origin, response, scope);
}

function refuseUpgrade(socket: Duplex, failure: ApiFailure): void {
  const text = JSON.stringify(errorBody(failure));
  const extra = Object.entries(failure.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${failure.status} ${statusPhrases[failure.status] ?? 'Error'}\r\nContent-Type: ${jsonType}\r\n${extra}`
    + `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

async function onUpgrade(parts: Parts, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const origin = originOf(req, parts);
  const url = new URL(req.url ?? '/', origin);
  socket.on('error', (error: Error) => parts.log.debug({ err: error }, 'upgrade socket failed'));
  parts.counters.count(req.method ?? 'GET', url.pathname, undefined);
  const decision = parts.faults.decide({ method: req.method ?? 'GET', path: normalisePath(url.pathname), action: undefined });
  if (decision.latencyMs > 0) await sleep(parts.clock, decision.latencyMs);
  if (decision.effect?.kind === 'drop-before' || decision.effect?.kind === 'drop-after') {
    socket.destroy();
    return;
  }
  if (decision.effect?.kind === 'error') return refuseUpgrade(socket, faultFailure(decision.effect));
  let scope: RequestScope;
  try {
    checkAuth(parts.scopeConfig, req.headers, true);
    scope = resolveScope(parts.scopeConfig, origin, url, req.headers);
    if (scope.path.replace(/\/+$/, '') !== '/v1/subscribe') throw ApiFailure.status(404);
    if (parts.faults.rejectsSubscriptions()) throw ApiFailure.status(503);
  } catch (error: unknown) {
    refuseUpgrade(socket, error instanceof ApiFailure ? error : ApiFailure.status(500));
    return;
  }
  parts.wss.handleUpgrade(req, socket, head, (ws) => {
    parts.hub.add(ws, scope, url.searchParams.getAll('eventNames'));
  });
}

/**
 * Starts a faithful in-memory Rancher v1 API (containers, instances, hosts, schemas, subscribe) on
 * `host:port`, plus the `/_emulator/*` admin routes. Resolves once listening.
 *
 * @example
 * const emulator = await startEmulator({ transitionMs: 10 });
 * const res = await fetch(`${emulator.url}/containers`, { method: 'POST', body: JSON.stringify({ imageUuid: 'docker:nginx' }) });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'emulator' });
  const timers = new TimerSet({ clock });
  const schemas = SchemaRegistry.load();
  const created = toSeconds(clock.now());
  const hosts: HostRecord[] = Array.from({ length: options.hosts ?? 1 }, (_, index) => ({
    id: index + 1, uuid: randomUUID(), created, hostname: `emulated-host-${index + 1}`,
  }));
  const store = new EmulatorStore({ projects: options.projects ?? ['1a5'], hosts });
  const faults = new FaultInjector({ clock, plan: options.faults ?? {} });
  const hub = new EventHub({
    clock, timers, log, coalesceMs: options.eventCoalesceMs ?? 1000, pingIntervalMs: options.pingIntervalMs ?? 5000,
    render: (record, ctx) => renderInstance(schemas, record, ctx),
  });
  const onChange = hub.markDirty.bind(hub);
  const lifecycle = new InstanceLifecycle({
    clock, timers, store, log, onChange, transitionMs: options.transitionMs ?? 250,
    purgeDelayMs: options.purgeDelayMs ?? 600_000, startFails: (record) => faults.startFails(record.fields['imageUuid']),
  });
  const containers = new ContainerRoutes({ schemas, store, lifecycle, clock, onChange });
  const routes = new ApiRoutes({ schemas, store, containers });
  const counters = new RequestCounters();
  const host = options.host ?? '127.0.0.1';
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let port = 0;
  const parts: Parts = {
    server, wss, clock, log, timers, faults, counters, hub, routes, fallbackHost: () => `${host}:${port}`,
    scopeConfig: {
      credentials: options.accessKey !== undefined && options.secretKey !== undefined
        ? { accessKey: options.accessKey, secretKey: options.secretKey } : undefined,
      projects: options.projects ?? ['1a5'],
    },
  };
  const handle: EmulatorHandle = {
    url: '',
    port: 0,
    close: async () => {
      hub.closeAll();
      timers.cancelAll();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    setFaults: (plan) => faults.setPlan(plan),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    closeSubscriptions: () => hub.closeAll(),
  };
  const admin = { ...handle, faults: () => faults.plan() };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(parts, admin, req, res).catch((error: unknown) => {
      log.error({ err: coerceError(error) }, 'request handler crashed');
      res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(parts, req, socket, head).catch((error: unknown) => {
      log.error({ err: coerceError(error) }, 'upgrade handler crashed');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  handle.url = `http://${urlHost}:${port}/v1`;
  handle.port = port;
  log.info({ url: handle.url }, 'emulator listening');
  return handle;
}
