/** Shared set-up for the Rancher client integration tests: a client wired to an emulator, with fast retries. */
import { ApiError } from '../../../src/errors.js';
import type { Logger } from '../../../src/logger.js';
import type { ApiConfig } from '../../../src/rancher/api-config.js';
import { createHttpClient, type HttpClient, type RequestEvent } from '../../../src/rancher/http.js';
import { RancherInstanceApi } from '../../../src/rancher/instance-api.js';
import { RateLimiter } from '../../../src/rancher/rate-limiter.js';
import { captureLogger, type LogSink } from '../../helpers/log-sink.js';

export type TestClient = {
  http: HttpClient;
  api: RancherInstanceApi;
  limiter: RateLimiter;
  events: RequestEvent[];
  log: Logger;
  sink: LogSink;
  close(): void;
};

/** A client with millisecond retry delays so fault tests stay fast; Retry-After is still honoured. */
export function testClient(url: string, overrides: Partial<ApiConfig> = {}): TestClient {
  const { log, sink } = captureLogger('debug');
  const config: ApiConfig = { url, timeoutMs: 5000, qps: 0, concurrency: 8, pageSize: 1000, ...overrides };
  const limiter = new RateLimiter({ options: { qps: config.qps, concurrency: config.concurrency }, log });
  const events: RequestEvent[] = [];
  const retryDelay = { baseMs: 5, maxMs: 40, maxRetryAfterMs: 2000 };
  const http = createHttpClient(config, { limiter, log, onRequest: (event) => events.push(event), retryDelay });
  const api = new RancherInstanceApi({ http, log, pageSize: config.pageSize, retryDelay, conflictDelayMs: 5 });
  return { http, api, limiter, events, log, sink, close: () => (limiter.close(), http.close()) };
}

/** The ApiError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (e: unknown) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}
