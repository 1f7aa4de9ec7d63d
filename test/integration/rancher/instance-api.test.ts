import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InstanceSpec } from '../../../src/domain/instance.js';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
import type { ApiError } from '../../../src/errors.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { apiError, testClient, type TestClient } from './harness.js';

describe('RancherInstanceApi against the emulator (manual clock drives transitions)', () => {
  const clock = new ManualClock(Date.now());
  let emu: EmulatorHandle;
  let client: TestClient;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20, clock });
    client = testClient(emu.url);
  });
  afterAll(async () => {
    client.close();
    await emu.close();
  });

  it('runs create, start, update, restart, stop, remove and get through their whole lifecycle', async () => {
    const { api } = client;
    const created = await api.create({ name: 'life-1', imageUuid: 'docker:nginx', environment: { A: '1' } }, { startOnCreate: false });
    expect(created).toMatchObject({ name: 'life-1', transitioning: 'yes', removed: false });
    expect(created.fields.environment).toEqual({ A: '1' });
    clock.advance(1000);
    expect(await api.get(created.id)).toMatchObject({ state: 'stopped', transitioning: 'no' });

    expect((await api.start(created.id)).state).toBe('starting');
    clock.advance(1000);
    expect((await api.get(created.id))?.state).toBe('running');

    const updated = await api.update(created.id, { name: 'life-1b', description: 'front end' });
    expect(updated).toMatchObject({ name: 'life-1b', description: 'front end' });

    expect((await api.restart(created.id)).state).toBe('restarting');
    clock.advance(1000);
    expect((await api.get(created.id))?.state).toBe('running');

    expect((await api.stop(created.id, { timeout: 0 })).state).toBe('stopping');
    clock.advance(1000);
    const stopped = await api.get(created.id);
    expect(stopped?.state).toBe('stopped');
    expect(stopped?.actions.has('remove')).toBe(true);

    expect((await api.remove(created.id)).state).toBe('removing');
    clock.advance(1000);
    expect(await api.get(created.id)).toMatchObject({ state: 'removed', removed: true });
    expect(await api.findByName('life-1b')).toEqual([]);
  });

  it('stop with remove takes a running container to removed', async () => {
    const created = await client.api.create({ name: 'life-2', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    clock.advance(1000);
    expect((await client.api.get(created.id))?.state).toBe('running');
    await client.api.stop(created.id, { remove: true, timeout: 0 });
    clock.advance(1000);
    expect((await client.api.get(created.id))?.removed).toBe(true);
  });

  it('finds by name, lists, and treats an unknown id as a value', async () => {
    const created = await client.api.create({ name: 'find-me', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    expect((await client.api.findByName('find-me')).map((i) => i.id)).toEqual([created.id]);
    expect((await client.api.list()).map((i) => i.id)).toContain(created.id);
    expect(await client.api.findByName('nobody')).toEqual([]);
    expect(await client.api.get('1i99999')).toBeUndefined();
  });

  it('refuses console on a container without calling Rancher', async () => {
    const created = await client.api.create({ name: 'no-console', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    emu.resetCounters();
    const error = await apiError(client.api.console(created.id));
    expect(error).toMatchObject({ code: 'ERR_API_UNPROCESSABLE', apiCode: 'ActionNotAvailable', retryable: false });
    expect(emu.counters()['POST /v1/containers/:id?action=console']).toBeUndefined();
  });

  it.each<[string, (c: TestClient) => Promise<unknown>, Partial<ApiError>]>([
    ['422 MissingRequired on a create without imageUuid', (c) => c.api.create({ name: 'bad' } as InstanceSpec, { startOnCreate: false }),
      { code: 'ERR_API_UNPROCESSABLE', status: 422, apiCode: 'MissingRequired', fieldName: 'imageUuid', retryable: false, message: 'POST /v1/containers failed: 422 MissingRequired (imageUuid)' }],
    ['404 on an action for an unknown id', (c) => c.api.start('1i99999'), { code: 'ERR_API_NOT_FOUND', status: 404, retryable: false }],
    ['405 on POST /v1/instances', (c) => c.http.request({ method: 'POST', path: 'instances', json: {} }), { code: 'ERR_API_METHOD_NOT_ALLOWED', status: 405, retryable: false }],
    ['405 on PUT /v1/instances/:id', (c) => c.http.request({ method: 'PUT', path: 'instances/1i1', json: {} }), { code: 'ERR_API_METHOD_NOT_ALLOWED', status: 405 }],
  ])('maps %s', async (_rule, call, expected) => {
    expect(await apiError(call(client))).toMatchObject(expected);
  });

  it('maps 422 ActionNotAvailable when the state does not offer the action', async () => {
    const created = await client.api.create({ name: 'not-now', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    clock.advance(1000);
    const error = await apiError(client.api.restart(created.id));
    expect(error).toMatchObject({ code: 'ERR_API_UNPROCESSABLE', apiCode: 'ActionNotAvailable', fieldName: 'action', retryable: false });
  });
});

describe('error classes from injected faults and transport failures', () => {
  let emu: EmulatorHandle;
  let client: TestClient;
  let html: Server;
  let htmlUrl: string;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20 });
    client = testClient(emu.url, { timeoutMs: 300 });
    html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const address = html.address();
    htmlUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
  });
  afterAll(async () => {
    client.close();
    await emu.close();
    html.closeAllConnections();
    await new Promise((resolve) => html.close(resolve));
  });

  it.each<[string, object, Partial<ApiError>]>([
    ['503 is ERR_API_UNAVAILABLE', { effect: 'error', status: 503 }, { code: 'ERR_API_UNAVAILABLE', status: 503, retryable: true }],
    ['500 is ERR_API_SERVER', { effect: 'error', status: 500 }, { code: 'ERR_API_SERVER', status: 500, retryable: true }],
    ['429 with Retry-After is ERR_API_RATE_LIMITED', { effect: 'error', status: 429, retryAfterSec: 0 }, { code: 'ERR_API_RATE_LIMITED', retryAfterMs: 0, retryable: true }],
    ['a dropped connection is ERR_API_NETWORK', { effect: 'drop-before' }, { code: 'ERR_API_NETWORK', retryable: true }],
    ['a slow answer is ERR_API_TIMEOUT', { effect: 'latency', latencyMs: 1000 }, { code: 'ERR_API_TIMEOUT', retryable: true }],
  ])('a single POST: %s', async (_rule, rule, expected) => {
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/hosts', times: 1, ...rule } as never] });
    const error = await apiError(client.http.request({ method: 'POST', path: 'hosts', json: {} }));
    expect(error).toMatchObject({ method: 'POST', ...expected });
    emu.setFaults({});
  });

  it('retries a GET on 503 and succeeds, one limiter slot per attempt', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/containers/?$', effect: 'error', status: 503, times: 2 }] });
    emu.resetCounters();
    await expect(client.api.list()).resolves.toEqual(expect.any(Array));
    expect(emu.counters()['GET /v1/containers']).toBe(3);
    emu.setFaults({});
  });

  it('gives up on a GET after the retry limit with the last error', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/containers/?$', effect: 'error', status: 502 }] });
    emu.resetCounters();
    expect(await apiError(client.api.list())).toMatchObject({ code: 'ERR_API_SERVER', status: 502 });
    expect(emu.counters()['GET /v1/containers']).toBe(5);
    emu.setFaults({});
  });

  it('maps an abort to ERR_API_ABORTED', async () => {
    emu.setFaults({ rules: [{ method: 'GET', effect: 'latency', latencyMs: 200 }] });
    const controller = new AbortController();
    const pending = client.api.list(controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await apiError(pending)).toMatchObject({ code: 'ERR_API_ABORTED', retryable: false });
    emu.setFaults({});
  });

  it('maps a non-JSON 200 to ERR_API_INVALID_RESPONSE', async () => {
    const other = testClient(htmlUrl);
    expect(await apiError(other.api.list())).toMatchObject({ code: 'ERR_API_INVALID_RESPONSE', retryable: false });
    other.close();
  });

  it('maps a refused connection to ERR_API_NETWORK', async () => {
    const other = testClient('http://127.0.0.1:1/v1');
    expect(await apiError(other.http.request({ method: 'POST', path: 'containers', json: {} }))).toMatchObject({ code: 'ERR_API_NETWORK', retryable: true });
    other.close();
  });
});
