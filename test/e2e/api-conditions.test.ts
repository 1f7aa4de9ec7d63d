import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { makeWorkspace, writeManifestFile } from '../helpers/manifest-tree.js';
import { until as untilHolds } from '../helpers/until.js';

const accessKey = 'AK-conditions-1234';
const goodSecret = 'SK-conditions-good-5678';
const staleSecret = 'SK-conditions-stale-9012';
const basic = (secret: string): string => `Basic ${Buffer.from(`${accessKey}:${secret}`).toString('base64')}`;

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

const until = <T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 30_000): Promise<T> => untilHolds(probe, predicate, timeoutMs);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * A reverse proxy in front of the emulator standing for a key rotation: it forwards every request as
 * sent (the daemon's stale key gets the emulator's real 401) until `accept()` is called; from then on
 * it presents the good key, as if the daemon's key had become valid. Websocket upgrades are refused, so
 * the daemon polls.
 */
async function rotatingProxy(target: string): Promise<{ url: string; lists: () => number; accept(): void; close(): Promise<void> }> {
  const upstream = new URL(target);
  let authorization: string | undefined;
  let lists = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && /^\/v1\/containers\/?(\?|$)/.test(req.url ?? '')) lists += 1;
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    if (authorization !== undefined) headers.authorization = authorization;
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('upgrade', (_req, socket) => socket.destroy());
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    lists: () => lists,
    accept: () => {
      authorization = basic(goodSecret);
    },
    close: () => close(server),
  };
}

type LogLine = Record<string, unknown> & { level: string; msg: string };
const jsonLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

describe('run with keys Rancher rejects, then accepts (built CLI)', () => {
  let emu: EmulatorHandle;
  let proxy: Awaited<ReturnType<typeof rotatingProxy>>;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let daemon: SpawnedCli;
  let base: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ accessKey, secretKey: goodSecret });
    proxy = await rotatingProxy(emu.url);
    ws = await makeWorkspace();
    await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1' }]);
    daemon = spawnCli(['run', '--url', proxy.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-format', 'json', '--resync', '5'], {
      cwd: ws.root,
      env: { RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: staleSecret },
    });
    const match = await daemon.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*status server listening|status server listening[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/, 30_000);
    base = match[1] ?? match[2] ?? '';
  }, 60_000);

  afterAll(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await proxy.close();
    await emu.close();
    await ws.cleanup();
  });

  it('answers /readyz 503 with the reason, and shows it in /status and /metrics; /healthz stays 200', async () => {
    // the manifests are read while Rancher refuses the keys (side by side with the first list): only the API reason is left
    const readyz = await until(() => fetchText(`${base}/readyz`), (r) => r.text.includes('Rancher rejected the credentials (401)') && !r.text.includes('manifests not read yet'));
    expect(readyz).toEqual({ status: 503, text: 'not ready: Rancher rejected the credentials (401)\n' });
    const status = JSON.parse((await fetchText(`${base}/status/default`)).text);
    expect(status.ready).toBe(false);
    expect(status.api).toEqual({ condition: 'unauthorized', message: 'Rancher rejected the credentials (401)', since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), status: 401, code: 'ERR_API_UNAUTHORIZED' });
    const metrics = (await fetchText(`${base}/metrics`)).text;
    expect(metrics).toContain('rancher_reconciler_api_condition{condition="unauthorized",environment="default"} 1');
    expect(metrics).toContain('rancher_reconciler_api_condition{condition="ok",environment="default"} 0');
    // restarting the process cannot fix the keys: liveness stays green
    expect((await fetchText(`${base}/healthz`)).status).toBe(200);
  }, 60_000);

  it('keeps retrying with backoff, and logs the condition once at error level however often it retries', async () => {
    const seen = proxy.lists();
    await until(async () => proxy.lists(), (n) => n >= seen + 3, 60_000);
    const lines = jsonLines(daemon.stdout());
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'Rancher API failing', condition: 'unauthorized', previous: 'ok', reason: 'Rancher rejected the credentials (401)', err: { code: 'ERR_API_UNAUTHORIZED' }, http: { method: 'GET', status: 401 } });
    // the per-retry line warns once; its repeats are debug (not shown at the default level)
    expect(lines.filter((l) => l.msg === 'live cache list failed' && l.level === 'warn')).toHaveLength(1);
  }, 90_000);

  it('becomes ready once the credentials work, says so once, and exits 0 without printing a credential', async () => {
    proxy.accept();
    await until(() => fetchText(`${base}/readyz`), (r) => r.status === 200, 60_000);
    const status = JSON.parse((await fetchText(`${base}/status/default`)).text);
    expect(status.api).toEqual({ condition: 'ok', message: 'Rancher API reachable', since: expect.any(String) });
    expect((await fetchText(`${base}/metrics`)).text).toContain('rancher_reconciler_api_condition{condition="ok",environment="default"} 1');
    const back = jsonLines(daemon.stdout()).filter((l) => l.msg === 'Rancher API reachable again');
    expect(back).toEqual([expect.objectContaining({ level: 'info', condition: 'ok', previous: 'unauthorized' })]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const output = daemon.stdout() + daemon.stderr();
    for (const secret of [staleSecret, goodSecret, basic(staleSecret), basic(goodSecret)]) expect(output).not.toContain(secret);
  }, 90_000);
});

describe('apply fails fast where retrying cannot help (built CLI)', () => {
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;

  beforeAll(async () => {
    ws = await makeWorkspace();
    await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1' }]);
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  const apply = (url: string, timeoutSeconds: number): SpawnedCli =>
    spawnCli(['apply', '--url', url, '--manifests', ws.manifests, '--state-dir', ws.state, '--timeout', String(timeoutSeconds), '--log-format', 'json'], { cwd: ws.root });

  it('exits 1 within seconds when the URL answers 404 (not the Rancher API)', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    const port = await listen(server);
    try {
      const started = Date.now();
      const cli = apply(`http://127.0.0.1:${port}/v1`, 600);
      expect(await cli.exited).toBe(1);
      // a generous bound against the 600 s timeout: it must not wait for it
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(cli.stderr()).toContain(`error: Rancher API not found at http://127.0.0.1:${port}/v1 (404): is the URL the v1 API?\n`);
    } finally {
      await close(server);
    }
  }, 60_000);

  it('exits 1 within seconds when the host does not resolve', async () => {
    const started = Date.now();
    const cli = apply('http://rancher.invalid:8080/v1', 600);
    expect(await cli.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(cli.stderr()).toContain('error: Rancher unreachable: getaddrinfo ENOTFOUND rancher.invalid\n');
  }, 60_000);

  it('retries a refused connection until --timeout, reports it once as it goes, and names the cause at the end', async () => {
    const server = createServer();
    const port = await listen(server);
    await close(server); // nothing listens on that port any more
    const cli = apply(`http://127.0.0.1:${port}/v1`, 3);
    expect(await cli.exited).toBe(1);
    const reported = jsonLines(cli.stderr()).filter((l) => l.msg === 'Rancher API failing');
    expect(reported).toEqual([expect.objectContaining({ level: 'error', condition: 'unreachable', reason: `Rancher unreachable: connect ECONNREFUSED 127.0.0.1:${port}` })]);
    expect(cli.stderr()).toContain(`error: not converged within 3s (--timeout): Rancher unreachable: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  }, 60_000);
});
