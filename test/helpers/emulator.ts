import diagnostics from 'node:diagnostics_channel';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator/emulator.js';

/** A JSON answer: status, headers and the parsed body (undefined when the body is empty or not JSON). */
export type JsonResult = { status: number; headers: Headers; body: any };

/** Starts an emulator on 127.0.0.1:0 with fast transitions unless told otherwise. Close it in afterAll/afterEach. */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({ transitionMs: 20, eventCoalesceMs: 20, ...options });
}

/** Runs `fn` with a fresh emulator and always closes it. */
export async function withEmulator<T>(options: EmulatorOptions, fn: (emulator: EmulatorHandle) => Promise<T>): Promise<T> {
  const emulator = await startTestEmulator(options);
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

/** Sends one request with node's fetch; `body` is JSON-encoded unless it is a string (sent raw). */
export async function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResult> {
  const init: RequestInit = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // a non-JSON body is returned as undefined; tests assert on status then
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** GET `url` as JSON. */
export const get = (url: string, headers?: Record<string, string>): Promise<JsonResult> => request('GET', url, undefined, headers);
/** POST `body` to `url` as JSON. */
export const post = (url: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResult> => request('POST', url, body, headers);
/** PUT `body` to `url` as JSON. */
export const put = (url: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResult> => request('PUT', url, body, headers);
/** DELETE `url`. */
export const del = (url: string, headers?: Record<string, string>): Promise<JsonResult> => request('DELETE', url, undefined, headers);

/**
 * Polls `GET url` until `predicate(body)` holds (or throws after `timeoutMs`). For real-clock tests where
 * no event can be awaited; the emulator's own tests prefer a ManualClock. The interval starts at 10 ms and
 * grows by half each round up to 200 ms, so a slow (loaded) machine is not kept busy by the polling itself.
 */
export async function waitForResource(url: string, predicate: (body: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (let intervalMs = 10; ; intervalMs = Math.min(200, Math.ceil(intervalMs * 1.5))) {
    const { body } = await get(url);
    if (predicate(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}: last state ${String(body?.state)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves once `emulator.counters()[key]` reaches `count`, or when `until` settles first (e.g. the
 * client process exited). The emulator runs in this process and has no counter event: this listens to
 * node's `http.server.request.start` diagnostics channel and re-reads the counters just after each request
 * reaches the emulator (the emulator counts a request synchronously in its request handler), with a slow
 * 200 ms re-check as a safety net. No busy polling.
 */
export function whenCounted(emulator: EmulatorHandle, key: string, count: number, until?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    const check = (): void => {
      if (!finished && (emulator.counters()[key] ?? 0) >= count) done();
    };
    const onRequestStart = (message: unknown): void => {
      const server = (message as { server?: { address(): unknown } }).server;
      const address = server?.address();
      if (typeof address === 'object' && address !== null && (address as { port?: number }).port !== emulator.port) return;
      setImmediate(check);
    };
    const safetyNet = setInterval(check, 200);
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(safetyNet);
      diagnostics.unsubscribe('http.server.request.start', onRequestStart);
      resolve();
    };
    diagnostics.subscribe('http.server.request.start', onRequestStart);
    if (until !== undefined) void until.then(done, done);
    check();
  });
}

/** Mutating requests (POST, PUT, DELETE, actions included) in an emulator's counters. */
export function mutationCount(counters: Readonly<Record<string, number>>): number {
  return Object.entries(counters)
    .filter(([key]) => /^(POST|PUT|DELETE) /.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}
