import { afterAll, afterEach, beforeAll, describe, expect, it, test } from '@jest/globals';
import { createServer } from 'node:net';
import { aDaemonStatus, anEmptyStatusDocument } from '../../helpers/builders.js';
import { summarizePhases, type DaemonStatus, type InstanceStatus, type StatusDocument, type StatusSource } from '../../../src/domain/status.js';
import { ConfigError } from '../../../src/errors.js';
import { startStatusServer, type StatusServer } from '../../../src/http/status-server.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { captureLogger } from '../../helpers/log-sink.js';

/** A StatusSource whose answers the test sets; counts reconcile requests. */
class FakeSource implements StatusSource {
  healthy: { ok: boolean; reason?: string } = { ok: true };
  ready: { ready: boolean; reasons: string[] } = { ready: true, reasons: [] };
  document: StatusDocument = anEmptyStatusDocument();
  reconcileRequests = 0;
  throwOnStatus = false;

  status(): DaemonStatus {
    if (this.throwOnStatus) throw new Error('status book broken');
    return aDaemonStatus(this.document);
  }
  health(): { ok: boolean; reason?: string } {
    return this.healthy;
  }
  readiness(): { ready: boolean; reasons: string[] } {
    return this.ready;
  }
  requestReconcile(): void {
    this.reconcileRequests += 1;
  }
}

const token = 'tok-3f9a7c1e5b';

describe('status server', () => {
  const source = new FakeSource();
  const metrics = createMetrics({ defaultMetrics: false });
  const { log, sink } = captureLogger('debug');
  let open: StatusServer;
  let locked: StatusServer;

  beforeAll(async () => {
    open = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source });
    locked = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source, reconcileToken: token });
  });
  afterAll(async () => {
    await open.close();
    await locked.close();
  });
  afterEach(() => {
    source.healthy = { ok: true };
    source.ready = { ready: true, reasons: [] };
    source.throwOnStatus = false;
  });

  it('listens on the port the OS picked and reports its url', () => {
    expect(open.port).toBeGreaterThan(0);
    expect(open.url).toBe(`http://127.0.0.1:${open.port}`);
  });

  test.each<[string, () => void, number, string]>([
    ['healthy', () => undefined, 200, 'ok\n'],
    ['wedged', () => { source.healthy = { ok: false, reason: 'queue has work but no progress for 120s' }; }, 503, 'unhealthy: queue has work but no progress for 120s\n'],
  ])('GET /healthz when %s', async (_state, arrange, status, body) => {
    arrange();
    const res = await fetch(`${open.url}/healthz`);
    expect([res.status, await res.text()]).toEqual([status, body]);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  test.each<[string, () => void, number, string]>([
    ['ready', () => undefined, 200, 'ready\n'],
    ['not ready, with every reason', () => { source.ready = { ready: false, reasons: ['first full list pending', 'manifests not parsed yet'] }; }, 503,
      'not ready: first full list pending; manifests not parsed yet\n'],
  ])('GET /readyz when %s', async (_state, arrange, status, body) => {
    arrange();
    const res = await fetch(`${open.url}/readyz`);
    expect([res.status, await res.text()]).toEqual([status, body]);
  });

  it('GET /metrics serves the Prometheus text with prom-client\'s content type', async () => {
    metrics.setQueueDepth(4);
    const res = await fetch(`${open.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    expect(await res.text()).toContain('rancher_reconciler_queue_depth 4');
  });

  it('GET /status serves every environment\'s status document as JSON, GET /status/<name> one of them', async () => {
    const instance: InstanceStatus = {
      name: 'web-1', id: '1i42', phase: 'blocked', reason: 'ImmutableFieldChanged', message: 'imageUuid differs',
      lastAction: 'create', attempts: 0, nextRetryAt: null, revision: 'abc123', notices: [], notes: [],
    };
    source.document = { ...anEmptyStatusDocument(), revision: 'abc123', complete: true, ready: true, instances: [instance], summary: summarizePhases([instance]) };
    const res = await fetch(`${open.url}/status?verbose=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ ready: true, notReady: [], environments: [{ name: 'default', ...JSON.parse(JSON.stringify(source.document)) }] });
    const one = await fetch(`${open.url}/status/default`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ name: 'default', ...JSON.parse(JSON.stringify(source.document)) });
    const unknown = await fetch(`${open.url}/status/prod`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no environment "prod": expected one of default' });
  });

  it('answers HEAD on GET routes without a body', async () => {
    const res = await fetch(`${open.url}/healthz`, { method: 'HEAD' });
    expect([res.status, await res.text()]).toEqual([200, '']);
  });

  it('POST /reconcile without a configured token is accepted', async () => {
    const before = source.reconcileRequests;
    const res = await fetch(`${open.url}/reconcile`, { method: 'POST' });
    expect([res.status, await res.json()]).toEqual([202, { accepted: true }]);
    expect(source.reconcileRequests).toBe(before + 1);
  });

  test.each<[string, Record<string, string>, number]>([
    ['no Authorization header', {}, 401],
    ['a wrong token', { Authorization: 'Bearer nope' }, 401],
    ['a longer wrong token', { Authorization: `Bearer ${token}x` }, 401],
    ['another scheme', { Authorization: `Basic ${token}` }, 401],
    ['an empty bearer', { Authorization: 'Bearer ' }, 401],
    ['the right token', { Authorization: `Bearer ${token}` }, 202],
    ['the right token, scheme in lower case', { Authorization: `bearer ${token}` }, 202],
  ])('POST /reconcile with a configured token and %s (headers %j) answers %i', async (_case, headers, status) => {
    const before = source.reconcileRequests;
    const res = await fetch(`${locked.url}/reconcile`, { method: 'POST', headers });
    await res.text();
    expect(res.status).toBe(status);
    expect(source.reconcileRequests).toBe(status === 202 ? before + 1 : before);
    if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer realm="rancher-reconciler"');
  });

  test.each<[string, string, string, number, string | null]>([
    ['GET on /reconcile', 'GET', '/reconcile', 405, 'POST'],
    ['DELETE on /reconcile', 'DELETE', '/reconcile', 405, 'POST'],
    ['POST on /status', 'POST', '/status', 405, 'GET, HEAD'],
    ['an unknown path', 'GET', '/nope', 404, null],
    ['POST on the dashboard', 'POST', '/', 405, 'GET, HEAD'],
    ['an unknown dashboard asset', 'GET', '/ui/nope.js', 404, null],
  ])('%s', async (_case, method, path, status, allow) => {
    const res = await fetch(`${open.url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toHaveProperty('error');
  });

  it('answers 500 and logs when the source throws', async () => {
    source.throwOnStatus = true;
    const res = await fetch(`${open.url}/status`);
    expect([res.status, await res.json()]).toEqual([500, { error: 'internal error' }]);
    expect(sink.lines.some((line) => line.msg === 'status request failed' && line.path === '/status')).toBe(true);
  });

  it('never logs the reconcile token', async () => {
    await (await fetch(`${locked.url}/reconcile`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).text();
    await (await fetch(`${locked.url}/reconcile`, { method: 'POST', headers: { Authorization: `Bearer ${token}-wrong` } })).text();
    expect(sink.lines.some((line) => line.msg === 'reconcile requested')).toBe(true);
    expect(sink.lines.some((line) => line.msg === 'reconcile request rejected')).toBe(true);
    expect(sink.text).not.toContain(token);
  });
});

describe('status server lifecycle', () => {
  const source = new FakeSource();

  it('fails with a ConfigError naming --listen when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { log } = captureLogger();
      const attempt = startStatusServer({ host: '127.0.0.1', port, log, metrics: createMetrics({ defaultMetrics: false }), source });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toMatchObject({ issues: [`--listen: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`] });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('closes promptly with a keep-alive connection open, and twice is safe', async () => {
    const { log } = captureLogger();
    const server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics: createMetrics({ defaultMetrics: false }), source });
    await (await fetch(`${server.url}/healthz`, { headers: { Connection: 'keep-alive' } })).text();
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
