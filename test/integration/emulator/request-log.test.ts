import { afterEach, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { del, get, post, startTestEmulator } from '../../helpers/emulator.js';
import { originOf } from './support.js';

describe('the request log and raw store (emulator extension)', () => {
  let emulator: EmulatorHandle | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('records every API request in order with what was answered, whether it was processed, and the fault', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({
      clock, transitionMs: 100,
      faults: { rules: [
        { method: 'GET', path: '^/v1/hosts$', effect: 'error', status: 503, times: 1 },
        { method: 'POST', action: 'stop', effect: 'drop-before', times: 1 },
      ] },
    });
    const start = clock.now();
    expect((await get(`${emulator.url}/hosts`)).status).toBe(503);
    const created = await post(`${emulator.url}/projects/1a5/containers`, { imageUuid: 'docker:nginx', name: 'logged', labels: { app: 'x' } });
    const id = created.body.id as string;
    clock.advance(200);
    expect((await get(`${emulator.url}/containers/${id}/`)).status).toBe(200);
    await expect(post(`${emulator.url}/containers/${id}?action=stop`, {})).rejects.toThrow();
    expect((await post(`${emulator.url}/containers`, { name: 'no-image' })).status).toBe(422);
    expect((await del(`${emulator.url}/containers/1i999`)).status).toBe(404);
    await fetch(`${originOf(emulator)}/_emulator/counters`);

    const log = emulator.requests();
    expect(log).toEqual([
      { seq: 1, at: start, method: 'GET', path: '/v1/hosts', action: null, userAgent: 'node', containerId: null, status: 503, committed: false, fault: 'error', apiStatus: null },
      { seq: 2, at: start, method: 'POST', path: '/v1/containers', action: null, userAgent: 'node', containerId: id, status: 201, committed: true, fault: null, apiStatus: 201,
        body: { name: 'logged', labels: { app: 'x' } } },
      { seq: 3, at: start + 200, method: 'GET', path: `/v1/containers/${id}`, action: null, userAgent: 'node', containerId: id, status: 200, committed: true, fault: null, apiStatus: 200 },
      { seq: 4, at: start + 200, method: 'POST', path: `/v1/containers/${id}`, action: 'stop', userAgent: 'node', containerId: id, status: 'dropped', committed: false, fault: 'drop-before', apiStatus: null },
      { seq: 5, at: start + 200, method: 'POST', path: '/v1/containers', action: null, userAgent: 'node', containerId: null, status: 422, committed: true, fault: null, apiStatus: 422,
        body: { name: 'no-image', labels: null } },
      { seq: 6, at: start + 200, method: 'DELETE', path: '/v1/containers/1i999', action: null, userAgent: 'node', containerId: '1i999', status: 404, committed: true, fault: null, apiStatus: 404 },
    ]);
    const overHttp = await (await fetch(`${originOf(emulator)}/_emulator/requests`)).json();
    expect(overHttp).toEqual(log);
    const later = await (await fetch(`${originOf(emulator)}/_emulator/requests?after=4`)).json();
    expect((later as { seq: number }[]).map((entry) => entry.seq)).toEqual([5, 6]);

    expect((await fetch(`${originOf(emulator)}/_emulator/requests`, { method: 'DELETE' })).status).toBe(200);
    expect(emulator.requests()).toEqual([]);
    await get(`${emulator.url}/hosts`);
    expect(emulator.requests().map((entry) => entry.seq)).toEqual([7]);
  });

  it('records a refused rate-limited request as not committed with the rate-limit fault', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, faults: { rateLimit: { rps: 1 } } });
    await get(`${emulator.url}/hosts`);
    expect((await get(`${emulator.url}/hosts`)).status).toBe(429);
    expect(emulator.requests().map(({ status, committed, fault }) => ({ status, committed, fault }))).toEqual([
      { status: 200, committed: true, fault: null }, { status: 429, committed: false, fault: 'rate-limit' },
    ]);
  });

  it('records the subscribe upgrade with status 101', async () => {
    emulator = await startTestEmulator();
    const ws = new WebSocket(`${emulator.url.replace(/^http/, 'ws')}/projects/1a5/subscribe?eventNames=resource.change`);
    await new Promise((resolve) => ws.once('message', resolve));
    ws.terminate();
    expect(emulator.requests()).toMatchObject([{ method: 'GET', path: '/v1/subscribe', status: 101, committed: true, fault: null }]);
  });

  it('GET /_emulator/containers returns the raw store: removed containers too, with state, labels, startCount and createIndex', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100 });
    const kept = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'kept', labels: { a: '1' } })).body.id;
    const gone = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'gone', startOnCreate: false })).body.id;
    clock.advance(200);
    await del(`${emulator.url}/containers/${gone}`);
    clock.advance(100);
    expect((await get(`${emulator.url}/containers`)).body.data.map((container: { id: string }) => container.id)).toEqual([kept]);
    const raw = await (await fetch(`${originOf(emulator)}/_emulator/containers`)).json();
    expect(raw).toEqual(emulator.containers());
    expect(raw).toMatchObject([
      { id: kept, name: 'kept', state: 'running', labels: { a: '1' }, startCount: 1, createIndex: 1, removed: null, hostId: '1h1',
        fields: { imageUuid: 'docker:nginx', labels: { a: '1' } } },
      { id: gone, name: 'gone', state: 'removed', labels: {}, startCount: 0, createIndex: 2, removed: expect.any(Number) },
    ]);
    // the API keeps rendering createIndex as Rancher does for a standalone container
    expect((await get(`${emulator.url}/containers/${kept}`)).body.createIndex).toBeNull();
    expect(emulator.requests().some((entry) => entry.path.startsWith('/_emulator'))).toBe(false);
  });
});
