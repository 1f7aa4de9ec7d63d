/**
 * Opens the Rancher side of the process: the configured endpoint, or — without `--url` — the embedded
 * emulator started in-process (the zero-setup default). One shared rate limiter, one HTTP client, one
 * InstanceApi. In embedded mode the emulator keeps its store in `<state dir>/embedded-emulator.json`, next
 * to the inventory, so the demo keeps its containers (and the inventory stays true) between runs. A
 * read-only caller (`plan`) works on a temporary copy of that file: it never writes the state dir.
 */
import type { MutationFence } from './leader/fence.js';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { startEmulator, type EmulatorHandle } from './emulator/emulator.js';
import type { Metrics } from './observability/metrics.js';
import type { RancherInstanceApi } from './rancher/instance-api.js';
import type { LiveCache } from './rancher/live-cache.js';
import { resolveEnvironment, type ResolvePolicy } from './rancher/environment-resolve.js';
import { createRancherClient, type RancherClient } from './rancher/rancher-client.js';

export type RancherConnection = Readonly<{
  api: RancherInstanceApi;
  /** A live cache reading through this connection; the caller starts and stops it. */
  createLiveCache(options: Readonly<{ resyncMs: number; onListError?: (error: Error) => void }>): LiveCache;
  /** The base URL in use (credential-free). */
  url: string;
  /** True when the embedded emulator serves the API. */
  embedded: boolean;
  /** Where the inventory lives: config.stateDir (the embedded emulator's data file is there too). */
  stateDir: string;
  close(): Promise<void>;
}>;

export type OpenRancherDeps = Readonly<{
  log: Logger;
  clock?: Clock;
  metrics?: Metrics;
  /** `plan`: nothing under the state dir is created or written (the embedded emulator runs on a copy). */
  readOnly?: boolean;
  /** Ends a startup wait (the `--environment` lookup retried by `run`); the promise rejects with its reason. */
  signal?: AbortSignal;
  /** Replicas: mutating calls only while this answers true (leader/fence.ts). */
  fence?: MutationFence;
  /** Replicas: this one's id, in the User-Agent (`rancher-reconciler replica/<id>`). */
  replica?: string;
}>;

/** The embedded emulator's data file, beside the inventory. */
export const embeddedDataFileName = 'embedded-emulator.json';

/** Where the embedded emulator keeps its store: the state dir, or a temp copy for a read-only caller. */
async function embeddedDataFile(stateDir: string, readOnly: boolean): Promise<{ file: string; tempDir?: string }> {
  const file = join(stateDir, embeddedDataFileName);
  if (!readOnly) {
    await mkdir(stateDir, { recursive: true });
    return { file };
  }
  const tempDir = await mkdtemp(join(tmpdir(), 'rancher-reconciler-plan-'));
  const copy = join(tempDir, embeddedDataFileName);
  try {
    await copyFile(file, copy);
  } catch (e: unknown) {
    // no data file yet: the copy starts empty, as the real one would
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
  return { file: copy, tempDir };
}

/** How the `--environment` lookup retries: as the command's first list of live state does. */
function resolvePolicy(config: Config): ResolvePolicy {
  if (config.command === 'run') return { kind: 'forever' };
  if (config.command === 'apply') return { kind: 'until', timeoutMs: config.reconcile.timeoutMs };
  return { kind: 'once' };
}

/**
 * Connects to Rancher (or starts the embedded emulator). A URL given in another form is logged once
 * (`API URL mapped to v1`); `--environment` is looked up once, here, through `GET /v1/projects`
 * (src/rancher/environment-resolve.ts, retried as the command's other startup calls are).
 * Throws ConfigError for a bad URL or CA file, or an environment that is missing or ambiguous; the
 * lookup's ApiError when `apply` or `plan` give up on it.
 */
export async function openRancher(config: Config, deps: OpenRancherDeps): Promise<RancherConnection> {
  const clock = deps.clock ?? systemClock;
  let emulator: EmulatorHandle | undefined;
  let tempDir: string | undefined;
  let url = config.api.url;
  if (url !== undefined && config.api.urlMappedFrom !== undefined) {
    // both are credential-free: a URL with userinfo never passes config validation
    deps.log.info({ from: config.api.urlMappedFrom, to: url }, 'API URL mapped to v1');
  }
  if (url === undefined) {
    const data = await embeddedDataFile(config.stateDir, deps.readOnly === true);
    tempDir = data.tempDir;
    emulator = await startEmulator({ transitionMs: config.emulator.transitionMs, eventCoalesceMs: 200, logger: deps.log, dataFile: data.file });
    url = emulator.url;
    deps.log.info({ url, stateDir: config.stateDir, dataFile: data.file }, 'no --url or RANCHER_URL: using the embedded Rancher emulator');
  }
  const release = async (): Promise<void> => {
    if (emulator) await emulator.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  const connect = (target: string): RancherClient => createRancherClient({
    api: { ...config.api, url: target },
    log: deps.log,
    clock,
    ...(deps.metrics === undefined ? {} : { onRequest: (e) => deps.metrics?.observeApiRequest({ ...e, status: e.status === 'error' ? undefined : e.status }) }),
    ...(deps.fence === undefined ? {} : { fence: deps.fence }),
    ...(deps.replica === undefined ? {} : { userAgent: `rancher-reconciler replica/${deps.replica}` }),
  });
  const environment = config.api.environment;
  if (environment !== undefined) {
    // a client on the unscoped URL for the one lookup; the scoped one below does everything else
    const lookup = connect(url);
    try {
      url = await resolveEnvironment({ http: lookup.http, environment, policy: resolvePolicy(config), log: deps.log.child({ component: 'api' }), clock, ...(deps.signal ? { signal: deps.signal } : {}) });
    } catch (e: unknown) {
      await release();
      throw e;
    } finally {
      lookup.close();
    }
  }
  const client = connect(url);
  return {
    api: client.api,
    createLiveCache: (options) => client.createLiveCache(options),
    url: client.http.baseUrl,
    embedded: emulator !== undefined,
    stateDir: config.stateDir,
    async close() {
      client.close();
      await release();
    },
  };
}
