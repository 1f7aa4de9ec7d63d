import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveCache } from '../../../src/rancher/live-cache.js';
import { testClient, type TestClient } from './harness.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A plain HTTP server on 127.0.0.1:0 (not the emulator): it answers whatever `handler` says. */
async function plainServer(handler: Handler): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with the next `count` list results of `cache` (undefined = success). */
function listResults(cache: LiveCache, count: number, timeoutMs = 10_000): Promise<(Error | undefined)[]> {
  return new Promise((resolve, reject) => {
    const results: (Error | undefined)[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${results.length} of ${count} list results within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = cache.onList((error) => {
      results.push(error);
      if (results.length < count) return;
      clearTimeout(timer);
      off();
      resolve(results);
    });
  });
}

describe('LiveCache when Rancher fails', () => {
  let client: TestClient | undefined;
  let cache: LiveCache | undefined;
  let closeServer: (() => Promise<void>) | undefined;

  afterEach(async () => {
    cache?.stop();
    client?.close();
    await closeServer?.();
  });

  it('stop() aborts the list in flight: the request is cancelled and no failure is reported', async () => {
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let cancelled: () => void = () => undefined;
    const requestCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    // never answers: only an abort on our side ends the request
    const server = await plainServer((req, res) => {
      res.on('close', () => cancelled());
      arrived();
      req.resume();
    });
    closeServer = server.close;
    client = testClient(server.url, { timeoutMs: 600_000 });
    cache = new LiveCache({ api: client.api, log: client.log, resyncMs: 60_000 });
    const reported: (Error | undefined)[] = [];
    cache.onList((error) => reported.push(error));
    cache.start();
    await requestArrived;
    cache.stop();
    await requestCancelled;
    // let the aborted list unwind (its rejection is handled on the next turns)
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual([]);
    expect(client.sink.lines.filter((l) => l.msg === 'live cache list failed')).toEqual([]);
  });

  it('reports every failed list, warns about the first one only, and reports the success that follows', async () => {
    let answer = 401;
    const server = await plainServer((req, res) => {
      req.resume();
      if (answer === 401) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', status: 401, code: 'Unauthorized', message: 'Unauthorized' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'collection', resourceType: 'container', data: [], pagination: {} }));
    });
    closeServer = server.close;
    client = testClient(server.url);
    cache = new LiveCache({ api: client.api, log: client.log, resyncMs: 60_000, random: () => 0 });
    const failures = listResults(cache, 4);
    cache.start();
    const results = await failures;
    expect(results.map((e) => (e as { status?: number } | undefined)?.status)).toEqual([401, 401, 401, 401]);
    const lines = client.sink.lines.filter((l) => l.msg === 'live cache list failed');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'debug', 'debug', 'debug']);
    answer = 200;
    const [next] = await listResults(cache, 1);
    expect(next).toBeUndefined();
    expect(cache.ready).toBe(true);
  });
});
