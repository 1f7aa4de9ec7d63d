/**
 * A status server started with `uiToken` over real HTTP: what needs the token (the dashboard, /status,
 * /events, /events/stream) and what stays open (health, readiness, metrics, the stylesheet the login
 * form uses), the login form (wrong and right token), the cookie it sets, and bearer access.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStatusServer, type StatusServer } from '../../../src/http/status-server.js';
import { systemClock } from '../../../src/clock.js';
import { EventJournal } from '../../../src/observability/event-journal.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { aDaemonStatus } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';

const token = 'ui-token-c0ffee-4242';
const source = { status: () => aDaemonStatus(), health: () => ({ ok: true }), readiness: () => ({ ready: true, reasons: [] }), requestReconcile: () => undefined };
const html = 'text/html,application/xhtml+xml,*/*;q=0.8';
const form = (value: string): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token: value }).toString(),
  redirect: 'manual',
});

describe('a status server protected by a UI token', () => {
  const { log, sink } = captureLogger('debug');
  const journal = new EventJournal({ capacity: 10, clock: systemClock, log });
  let server: StatusServer;
  let cookie = '';
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

  beforeAll(async () => {
    server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics: createMetrics({ defaultMetrics: false }), source, events: journal, uiToken: token });
    journal.record({ kind: 'action-succeeded', severity: 'info', key: 'web-1', instanceId: '1i1', revision: 'r1', reason: 'Started', message: 'start 1i1' });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(['/status', '/events', '/events/stream', '/', '/ui/dashboard.js'])('answers an API client 401 JSON for %s without the token', async (path) => {
    const response = await get(path, { Accept: 'application/json' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="rancher-reconciler"');
    expect(await response.json()).toEqual({ message: expect.stringContaining('/login') });
  });

  it('sends a browser to the login form, which is served under the dashboard CSP', async () => {
    const redirect = await get('/', { Accept: html });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/login');
    const page = await get('/login', { Accept: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await page.text();
    expect(body).toContain('<form method="post" action="/login">');
    expect(body).toContain('name="token"');
    expect((await get('/ui/dashboard.css')).status).toBe(200);
  });

  it.each(['/healthz', '/readyz', '/metrics', '/schema/instance.json'])('leaves %s open', async (path) => {
    expect((await get(path)).status).toBe(200);
  });

  it('answers a wrong token 401 with the form and a message, and sets no cookie', async () => {
    const response = await fetch(`${server.url}/login`, form('not-the-token'));
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    const body = await response.text();
    expect(body).toContain('That is not the UI token');
    expect(body).toContain('<form method="post" action="/login">');
  });

  it('answers the right token 303 to / with a session cookie that is not the token', async () => {
    const response = await fetch(`${server.url}/login`, form(token));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^rr_ui=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(setCookie).not.toContain(token);
    cookie = setCookie.split(';')[0]!;
  });

  it('marks the cookie Secure behind a proxy that says https', async () => {
    const response = await fetch(`${server.url}/login`, { ...form(token), headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-Proto': 'https' } });
    expect(response.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('accepts the cookie for the dashboard, /status, /events and /events/stream', async () => {
    expect((await get('/', { Cookie: cookie, Accept: html })).status).toBe(200);
    expect((await get('/ui/dashboard.js', { Cookie: cookie })).status).toBe(200);
    expect(await (await get('/status', { Cookie: cookie })).json()).toMatchObject({ environments: [expect.objectContaining({ summary: expect.any(Object) })] });
    expect((await (await get('/events', { Cookie: cookie })).json()) as unknown).toMatchObject({ events: [expect.objectContaining({ key: 'web-1' })] });
    const abort = new AbortController();
    const stream = await fetch(`${server.url}/events/stream`, { headers: { Cookie: cookie, Accept: 'text/event-stream' }, signal: abort.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    abort.abort();
  });

  it('accepts the bearer token and refuses a wrong one', async () => {
    expect((await get('/status', { Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get('/events', { Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get('/status', { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get('/status', { Cookie: `rr_ui=${token}` })).status).toBe(401);
  });

  it('never logs the token or the cookie', () => {
    const logged = JSON.stringify(sink.lines);
    expect(sink.lines.some((line) => line.msg === 'dashboard login rejected')).toBe(true);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(cookie.slice('rr_ui='.length));
  });
});

describe('a status server without a UI token', () => {
  it('keeps /status open and has no /login', async () => {
    const { log } = captureLogger('info');
    const server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics: createMetrics({ defaultMetrics: false }), source });
    try {
      expect((await fetch(`${server.url}/status`)).status).toBe(200);
      expect((await fetch(`${server.url}/login`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
