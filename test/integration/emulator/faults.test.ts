import { afterEach, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

describe('fault injection (emulator extension)', () => {
  let emulator: EmulatorHandle | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('answers an error rule with the real body and Retry-After, without processing, then the rule is spent', async () => {
    emulator = await startTestEmulator({
      faults: { rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'error', status: 503, retryAfterSec: 7, times: 1 }] },
    });
    const refused = await post(`${emulator.url}/projects/1a5/containers`, { imageUuid: 'docker:x', name: 'f' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(refused.body).toMatchObject({ type: 'error', status: 503, code: 'Service Unavailable', message: 'Service Unavailable' });
    expect((await get(`${emulator.url}/containers?name=f`)).body.data).toEqual([]);
    expect((await post(`${emulator.url}/containers`, { imageUuid: 'docker:x' })).status).toBe(201);
    expect(emulator.counters()['POST /v1/containers']).toBe(2);
  });

  it('drops the connection before processing (nothing is created)', async () => {
    emulator = await startTestEmulator({ faults: { rules: [{ method: 'POST', effect: 'drop-before', times: 1 }] } });
    await expect(post(`${emulator.url}/containers`, { imageUuid: 'docker:x', name: 'lost' })).rejects.toThrow();
    expect((await get(`${emulator.url}/containers?name=lost`)).body.data).toEqual([]);
  });

  it('drops the connection after processing (the mutation is committed: a lost response)', async () => {
    emulator = await startTestEmulator({ faults: { rules: [{ method: 'POST', effect: 'drop-after', times: 1 }] } });
    await expect(post(`${emulator.url}/containers`, { imageUuid: 'docker:x', name: 'ghost' })).rejects.toThrow();
    expect((await get(`${emulator.url}/containers?name=ghost`)).body.data).toHaveLength(1);
  });

  it('waits the latency on the injected clock after reading the body, then processes', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, faults: { rules: [{ path: '^/v1/hosts', effect: 'latency', latencyMs: 5000 }] } });
    let settled = false;
    const pending = get(`${emulator.url}/hosts`).then((result) => {
      settled = true;
      return result;
    });
    // the latency is a timer on the manual clock: wait until the request has registered it
    while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(5000);
    expect((await pending).status).toBe(200);
  });

  it('answers 429 with Retry-After above the requests-per-second cap', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, faults: { rateLimit: { rps: 2, retryAfterSec: 3 } } });
    expect((await get(`${emulator.url}/containers`)).status).toBe(200);
    expect((await get(`${emulator.url}/containers`)).status).toBe(200);
    const limited = await get(`${emulator.url}/containers`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.body).toMatchObject({ status: 429, code: 'Too Many Requests' });
    clock.advance(1001);
    expect((await get(`${emulator.url}/containers`)).status).toBe(200);
  });

  it('fails the start of listed images: create ends in error, a later start back in stopped', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100, faults: { failStartImages: ['docker:broken'] } });
    const id = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:broken' })).body.id;
    clock.advance(1000);
    const failed = (await get(`${emulator.url}/containers/${id}`)).body;
    expect(failed).toMatchObject({ state: 'error', transitioning: 'error', transitioningMessage: 'Failing [compute.instance.activate]' });
    const stoppedId = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:broken', startOnCreate: false })).body.id;
    clock.advance(100);
    expect((await get(`${emulator.url}/containers/${stoppedId}`)).body.state).toBe('stopped');
    expect((await post(`${emulator.url}/containers/${stoppedId}?action=start`)).status).toBe(202);
    clock.advance(1000);
    expect((await get(`${emulator.url}/containers/${stoppedId}`)).body).toMatchObject({ state: 'stopped', transitioning: 'error' });
  });

  it('replaces the plan with setFaults and through PUT /_emulator/faults (admin routes are not counted)', async () => {
    emulator = await startTestEmulator();
    emulator.setFaults({ rules: [{ effect: 'error', status: 500 }] });
    expect((await get(`${emulator.url}/containers`)).body.code).toBe('Internal Server Error');
    const origin = emulator.url.replace(/\/v1$/, '');
    const reset = await fetch(`${origin}/_emulator/faults`, { method: 'PUT', body: '{}' });
    expect(reset.status).toBe(200);
    expect((await get(`${emulator.url}/containers`)).status).toBe(200);
    const counters = await (await fetch(`${origin}/_emulator/counters`)).json();
    expect(counters).toEqual({ 'GET /v1/containers': 2, total: 2 });
    expect((await fetch(`${origin}/_emulator/counters`, { method: 'DELETE' })).status).toBe(200);
    expect(emulator.counters()).toEqual({});
  });

  it('applies probabilistic rules reproducibly for a seed', async () => {
    const outcomes: number[][] = [];
    for (let run = 0; run < 2; run += 1) {
      emulator = await startTestEmulator({ faults: { seed: 42, rules: [{ effect: 'error', probability: 0.5 }] } });
      const statuses: number[] = [];
      for (let index = 0; index < 12; index += 1) statuses.push((await get(`${emulator.url}/hosts`)).status);
      outcomes.push(statuses);
      await emulator.close();
      emulator = undefined;
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toContain(503);
    expect(outcomes[0]).toContain(200);
  });
});
