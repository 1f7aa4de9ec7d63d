/**
 * The factory the composition root calls: one rate limiter, one HTTP client and the InstanceApi on top,
 * plus a LiveCache constructor bound to the same client.
 */
import type { MutationFence } from '../leader/fence.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ApiConfig } from './api-config.js';
import { createHttpClient, type HttpClient, type RequestEvent } from './http.js';
import { RancherInstanceApi } from './instance-api.js';
import { LiveCache } from './live-cache.js';
import { RateLimiter } from './rate-limiter.js';

/** What {@link createRancherClient} returns. `close()` stops the rate limiter's timer and the keep-alive sockets. */
export type RancherClient = Readonly<{
  api: RancherInstanceApi;
  http: HttpClient;
  /** A LiveCache reading through this client; the caller starts and stops it. */
  createLiveCache(options: Readonly<{ resyncMs: number; pollMs?: number; onListError?: (error: Error) => void }>): LiveCache;
  close(): void;
}>;

/**
 * Builds the Rancher client for one API config. Throws ConfigError on a bad URL or CA file.
 * @example
 * const rancher = createRancherClient({ api: config.api, log: log.child({ component: 'api' }) });
 * const cache = rancher.createLiveCache({ resyncMs: 60_000 }); cache.start(); await cache.waitReady(signal);
 */
export function createRancherClient(deps: Readonly<{ api: ApiConfig; log: Logger; clock?: Clock; onRequest?: (event: RequestEvent) => void; fence?: MutationFence; userAgent?: string }>): RancherClient {
  const clock = deps.clock ?? systemClock;
  // `deps.log` is the process logger: each part gets its own `component`, bound once.
  const apiLog = deps.log.child({ component: 'api' });
  const limiter = new RateLimiter({ options: { qps: deps.api.qps, concurrency: deps.api.concurrency }, clock, log: deps.log.child({ component: 'limiter' }) });
  const http = createHttpClient(deps.api, { limiter, log: apiLog, clock, ...(deps.onRequest ? { onRequest: deps.onRequest } : {}), ...(deps.fence ? { fence: deps.fence } : {}), ...(deps.userAgent ? { userAgent: deps.userAgent } : {}) });
  const api = new RancherInstanceApi({ http, log: apiLog, clock, pageSize: deps.api.pageSize });
  return {
    api,
    http,
    createLiveCache: (options) =>
      new LiveCache({ api, subscribe: () => http.subscribeTarget(), log: deps.log.child({ component: 'live-cache' }), clock, ...options }),
    close: () => {
      limiter.close();
      http.close();
    },
  };
}
