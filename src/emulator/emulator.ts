import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { systemClock, type Clock } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ApiRoutes } from './api-routes.js';
import { ContainerRoutes } from './container-routes.js';
import { RequestCounters } from './counters.js';
import { EventHub } from './events.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { toSeconds } from './format.js';
import { HealthChecks } from './health.js';
import { onRequest, onUpgrade, type ServerParts } from './http-handlers.js';
import { InstanceLifecycle } from './lifecycle.js';
import { Partition } from './partition.js';
import { HostPlacement } from './placement.js';
import { ProjectRoutes, projectRecords } from './project-routes.js';
import { renderInstance } from './render.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { SchemaRegistry } from './schemas.js';
import { EmulatorStore, rawContainer, type HostRecord, type InstanceRecord, type RawContainer } from './store.js';
import { StoreFile, readStoreFile } from './store-file.js';
import { snapshotOf, type StoreSnapshot } from './store-snapshot.js';
import { TimerSet } from './timers.js';
import { HostAccessTokens } from './tokens.js';

export type { FaultPlan, FaultRule } from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export type { RawContainer } from './store.js';

/** Options of {@link startEmulator}. Every field is optional; defaults are given per field. */
export type EmulatorOptions = {
  /** Default 0 (any free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Both given => access control on (401 without valid Basic auth). */
  accessKey?: string;
  secretKey?: string;
  /**
   * Simulated hosts, default 1 (ids 1h1..1hN). Ignored when `dataFile` already holds a store (its hosts win).
   * Two containers publishing the same host port need two hosts (docs/rancher-v1.md#host-ports).
   */
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
  /** Project names by id (`GET /v1/projects`); default `Default` for the first, `Environment <id>` for the others. */
  projectNames?: Readonly<Record<string, string>>;
  /** Default silent. */
  logger?: Logger;
  /** Checked at start: an invalid plan rejects startEmulator (ERR_EMULATOR). */
  faults?: FaultPlan;
  /**
   * Emulator extension: keep the store in this JSON file. Loaded at start (missing = empty store; unreadable
   * or corrupt = startEmulator rejects with ERR_EMULATOR naming the file), saved crash-safely 50 ms after
   * changes, before a mutating request is answered, and on close. Default: in memory only.
   */
  dataFile?: string;
};

/** A running emulator. Every method is also reachable over HTTP under `/_emulator/*` (see `admin.ts`). */
export type EmulatorHandle = {
  /** 'http://127.0.0.1:PORT/v1' (host as given). */
  url: string;
  port: number;
  /** Closes websockets and all connections, then the server, then saves the data file (rejects if that fails). */
  close(): Promise<void>;
  /** Replaces the fault plan (and starts its `partition`, if any). Throws ERR_EMULATOR for an invalid plan. */
  setFaults(plan: FaultPlan): void;
  /** The plan in force, with `partition: {durationMs: <time left>}` while one runs. */
  faults(): FaultPlan;
  /** Starts a network partition of `durationMs` (0 ends a running one); see `partition.ts`. */
  partition(durationMs: number): void;
  /** Requests counted by `${METHOD} ${route}` and `total`. */
  counters(): Readonly<Record<string, number>>;
  resetCounters(): void;
  /** Cuts every /v1/subscribe websocket (a "websocket cut" fault). */
  closeSubscriptions(): void;
  /** The request log (copies), in arrival order; only entries with `seq > afterSeq` when given. */
  requests(afterSeq?: number): RequestLogEntry[];
  /** Empties the request log (sequence numbers keep counting). */
  clearRequests(): void;
  /** Every stored container, removed and purged included, unrendered. */
  containers(): RawContainer[];
};

function initialHosts(count: number, clock: Clock): HostRecord[] {
  const created = toSeconds(clock.now());
  return Array.from({ length: count }, (_, index) => ({ id: index + 1, uuid: randomUUID(), created, hostname: `emulated-host-${index + 1}` }));
}

/**
 * Puts a loaded snapshot's containers back and resumes their timers (sequences in flight, purges, health
 * reports). Files saved before `healthState` was kept load with it null.
 */
function restoreContainers(snapshot: StoreSnapshot, store: EmulatorStore, lifecycle: InstanceLifecycle, health: HealthChecks): void {
  const restored = snapshot.containers.map(({ transition, ...saved }) => {
    const record = { ...saved, healthState: saved.healthState ?? null } as InstanceRecord;
    store.restore(record);
    return { record, transition };
  });
  for (const { record, transition } of restored) {
    if (transition !== undefined) lifecycle.resume(record, transition);
    else if (record.state === 'removed') lifecycle.resumePurge(record);
    else health.resume(record);
  }
}

/** Delays on the emulator clock that close() can end early (they then resolve false). */
function waiter(timers: TimerSet): { wait: (delayMs: number) => Promise<boolean>; cancelAll: () => void } {
  const pending = new Set<(value: boolean) => void>();
  let closed = false;
  return {
    wait: (delayMs) => new Promise<boolean>((resolve) => {
      if (closed) return resolve(false);
      pending.add(resolve);
      timers.schedule(() => {
        pending.delete(resolve);
        resolve(true);
      }, delayMs);
    }),
    cancelAll: () => {
      closed = true;
      for (const resolve of pending) resolve(false);
      pending.clear();
    },
  };
}

/**
 * Starts a faithful in-memory Rancher v1 API (containers, instances, hosts, schemas, subscribe) on
 * `host:port`, plus the `/_emulator/*` admin routes. Resolves once listening. Rejects with ERR_EMULATOR
 * for an invalid fault plan or an unreadable or corrupt data file.
 *
 * @example
 * const emulator = await startEmulator({ transitionMs: 10 });
 * const res = await fetch(`${emulator.url}/containers`, { method: 'POST', body: JSON.stringify({ imageUuid: 'docker:nginx' }) });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const core = await buildCore(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let port = 0;
  const handle = makeHandle(core, server, wss);
  const parts: ServerParts = {
    wss, log: core.log, faults: core.faults, counters: core.counters, requests: core.requests, partition: core.partition, hub: core.hub, tokens: core.tokens,
    routes: core.routes, admin: handle, wait: core.delays.wait,
    fallbackHost: () => `${host}:${port}`,
    persisted: () => core.storeFile?.flush().catch((error: unknown) => {
      core.log.error({ err: coerceError(error), file: options.dataFile }, 'emulator data file save failed');
    }) ?? Promise.resolve(),
    scopeConfig: {
      credentials: options.accessKey !== undefined && options.secretKey !== undefined
        ? { accessKey: options.accessKey, secretKey: options.secretKey } : undefined,
      projects: core.projects,
    },
  };
  if (options.faults?.partition !== undefined) core.partition.start(options.faults.partition.durationMs);
  core.hub.setPaused(core.faults.streamStalled() || core.partition.active());
  serve(server, parts);
  port = await listen(server, host, options.port ?? 0, core.timers);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  handle.url = `http://${urlHost}:${port}/v1`;
  handle.port = port;
  core.log.info({ url: handle.url, ...(options.dataFile === undefined ? {} : { file: options.dataFile, restored: core.restored }) }, 'emulator listening');
  return handle;
}

/** The emulator's parts that do not depend on the HTTP server: store, lifecycle, events, faults, logs. */
async function buildCore(options: EmulatorOptions) {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'emulator' });
  const timers = new TimerSet({ clock });
  const schemas = SchemaRegistry.load();
  const faults = new FaultInjector({ clock, plan: options.faults ?? {} });
  const snapshot = options.dataFile === undefined ? undefined : await readStoreFile(options.dataFile);
  const projects = options.projects ?? ['1a5'];
  const store = new EmulatorStore({
    projects, hosts: snapshot?.hosts ?? initialHosts(options.hosts ?? 1, clock), ...(snapshot ? { sequences: snapshot.sequences } : {}),
  });
  const hub = new EventHub({
    clock, timers, log, coalesceMs: options.eventCoalesceMs ?? 1000, pingIntervalMs: options.pingIntervalMs ?? 5000,
    render: (record, ctx) => renderInstance(schemas, record, ctx),
  });
  const storeFile = options.dataFile === undefined ? undefined : new StoreFile({
    file: options.dataFile, timers, log, snapshot: () => snapshotOf(store, (id) => lifecycle.inFlight(id)),
  });
  const onChange = (record: InstanceRecord): void => {
    hub.markDirty(record);
    storeFile?.markDirty();
  };
  const transitionMs = options.transitionMs ?? 250;
  const health = new HealthChecks({ timers, transitionMs, onChange, healthOf: (record) => faults.healthOf(record.fields['imageUuid']) });
  const lifecycle = new InstanceLifecycle({
    clock, timers, store, log, onChange, transitionMs, health, placement: new HostPlacement({ store }),
    purgeDelayMs: options.purgeDelayMs ?? 600_000, startFails: (record) => faults.startFails(record.fields['imageUuid']),
  });
  if (snapshot) restoreContainers(snapshot, store, lifecycle, health);
  const projectList = projectRecords(projects, options.projectNames ?? {}, toSeconds(clock.now()));
  const projectUuid = (id: string): string | undefined => projectList.find((project) => project.id === id)?.uuid;
  const tokens = new HostAccessTokens({ clock });
  const routes = new ApiRoutes({
    schemas, store, containers: new ContainerRoutes({ schemas, store, lifecycle, clock, tokens, onChange, projectUuid }),
    projects: new ProjectRoutes({ schemas, projects: projectList }),
  });
  const partition: Partition = new Partition({
    clock, timers, onEnd: () => hub.closeAll(), onChange: () => hub.setPaused(faults.streamStalled() || partition.active()),
  });
  return {
    log, timers, faults, store, hub, storeFile, routes, partition, projects, tokens,
    counters: new RequestCounters(), requests: new RequestLog({ clock }), delays: waiter(timers), restored: snapshot?.containers.length ?? 0,
  };
}

type Core = Awaited<ReturnType<typeof buildCore>>;

/** The handle tests and the admin routes use. */
function makeHandle(core: Core, server: Server, wss: WebSocketServer): EmulatorHandle {
  const { faults, partition, hub, counters, requests, store } = core;
  let closing: Promise<void> | undefined;
  return {
    url: '',
    port: 0,
    close: () => (closing ??= (async () => {
      core.delays.cancelAll();
      hub.closeAll();
      partition.stop();
      core.timers.cancelAll();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await core.storeFile?.close();
    })()),
    setFaults: (plan) => {
      faults.setPlan(plan);
      if (plan.partition !== undefined) partition.start(plan.partition.durationMs);
      hub.setPaused(faults.streamStalled() || partition.active());
    },
    faults: () => {
      const remaining = partition.remainingMs();
      return { ...faults.plan(), ...(remaining === undefined ? {} : { partition: { durationMs: remaining } }) };
    },
    partition: (durationMs) => partition.start(durationMs),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    closeSubscriptions: () => hub.closeAll(),
    requests: (afterSeq) => requests.entries(afterSeq),
    clearRequests: () => requests.clear(),
    containers: () => store.records().map(rawContainer),
  };
}

function serve(server: Server, parts: ServerParts): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(parts, req, res).catch((error: unknown) => {
      parts.log.error({ err: coerceError(error) }, 'request handler crashed');
      res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(parts, req, socket, head).catch((error: unknown) => {
      parts.log.error({ err: coerceError(error) }, 'upgrade handler crashed');
      socket.destroy();
    });
  });
}

/** Listens on host:port; resolves with the port bound. */
async function listen(server: Server, host: string, port: number, timers: TimerSet): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      // resumed transitions and the partition timer must not outlive a failed start
      timers.cancelAll();
      reject(error);
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
