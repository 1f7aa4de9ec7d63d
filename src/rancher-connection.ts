/**
 * Opens the Rancher side of the process: the configured endpoint, or — without `--url` — the embedded
 * emulator started in-process (the zero-setup default). One shared rate limiter, one HTTP client, one
 * InstanceApi. In embedded mode the inventory lives in a fresh temporary state dir: the emulator's ids
 * are reused on every start, so an inventory from an earlier run would point at the wrong containers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { startEmulator, type EmulatorHandle } from './emulator/emulator.js';
import type { Metrics } from './observability/metrics.js';
import type { RancherInstanceApi } from './rancher/instance-api.js';
import type { LiveCache } from './rancher/live-cache.js';
import { createRancherClient } from './rancher/rancher-client.js';

export type RancherConnection = Readonly<{
  api: RancherInstanceApi;
  /** A live cache reading through this connection; the caller starts and stops it. */
  createLiveCache(options: Readonly<{ resyncMs: number; onListError?: (error: Error) => void }>): LiveCache;
  /** The base URL in use (credential-free). */
  url: string;
  /** True when the embedded emulator serves the API. */
  embedded: boolean;
  /** Where the inventory lives: config.stateDir, or a temporary dir in embedded mode. */
  stateDir: string;
  close(): Promise<void>;
}>;

export type OpenRancherDeps = Readonly<{ log: Logger; clock?: Clock; metrics?: Metrics }>;

/** Connects to Rancher (or starts the embedded emulator). Throws ConfigError for a bad URL or CA file. */
export async function openRancher(config: Config, deps: OpenRancherDeps): Promise<RancherConnection> {
  const clock = deps.clock ?? systemClock;
  let emulator: EmulatorHandle | undefined;
  let tempStateDir: string | undefined;
  let url = config.api.url;
  if (url === undefined) {
    emulator = await startEmulator({ transitionMs: config.emulator.transitionMs, eventCoalesceMs: 200, logger: deps.log });
    url = emulator.url;
    tempStateDir = await mkdtemp(join(tmpdir(), 'rancher-reconciler-embedded-'));
    deps.log.info({ url, stateDir: tempStateDir }, 'no --url or RANCHER_URL: using the embedded Rancher emulator');
  }
  const client = createRancherClient({
    api: { ...config.api, url },
    log: deps.log,
    clock,
    ...(deps.metrics === undefined ? {} : { onRequest: (e) => deps.metrics?.observeApiRequest({ ...e, status: e.status === 'error' ? undefined : e.status }) }),
  });
  return {
    api: client.api,
    createLiveCache: (options) => client.createLiveCache(options),
    url: client.http.baseUrl,
    embedded: emulator !== undefined,
    stateDir: tempStateDir ?? config.stateDir,
    async close() {
      client.close();
      if (emulator) await emulator.close();
      if (tempStateDir) await rm(tempStateDir, { recursive: true, force: true });
    },
  };
}
