import { afterEach, describe, expect, it, test } from '@jest/globals';
import type { EmulatorHandle, FaultRule, RequestLogEntry } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator, waitForResource } from '../../helpers/emulator.js';
import { originOf, until } from './support.js';

const createRule = (rule: Omit<FaultRule, 'method' | 'path'>): FaultRule => ({ method: 'POST', path: '^/v1/containers$', times: 1, ...rule });

/** The log entry of the first POST /v1/containers, once it has settled. */
const settledCreate = (emulator: EmulatorHandle): Promise<RequestLogEntry | undefined> => until(
  () => emulator.requests().find((entry) => entry.method === 'POST' && entry.path === '/v1/containers'),
  (entry) => entry !== undefined && entry.status !== 'pending', 'the create to settle');

describe('faults that commit whether or not the client hears about it (emulator extension)', () => {
  let emulator: EmulatorHandle | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('latency: a client that gives up after 100 ms does not stop the request, it is processed after the latency', async () => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect: 'latency', latencyMs: 1000 })] } });
    const gaveUp = fetch(`${emulator.url}/containers`, {
      method: 'POST', body: JSON.stringify({ imageUuid: 'docker:nginx', name: 'slow' }), signal: AbortSignal.timeout(100),
    });
    await expect(gaveUp).rejects.toThrow();
    const list = await waitForResource(`${emulator.url}/containers?name=slow`, (body) => body.data.length === 1, 15_000);
    expect(list.data[0]).toMatchObject({ name: 'slow', imageUuid: 'docker:nginx' });
    expect(await settledCreate(emulator)).toMatchObject({
      status: 'dropped', committed: true, apiStatus: 201, fault: 'latency', containerId: list.data[0].id, body: { name: 'slow', labels: null },
    });
  });

  it('commit-late: nothing is processed before delayMs on the emulator clock, then the request is processed and answered', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, faults: { rules: [createRule({ effect: 'commit-late', delayMs: 5000 })] } });
    let answered = false;
    const pending = post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'late' }).then((result) => {
      answered = true;
      return result;
    });
    await until(() => clock.pending, (timers) => timers > 0, 'the commit-late delay to be scheduled');
    expect((await get(`${emulator.url}/containers?name=late`)).body.data).toEqual([]);
    clock.advance(4999);
    expect((await get(`${emulator.url}/containers?name=late`)).body.data).toEqual([]);
    expect(answered).toBe(false);
    clock.advance(1);
    expect((await pending).status).toBe(201);
    expect((await get(`${emulator.url}/containers?name=late`)).body.data).toHaveLength(1);
    expect(await settledCreate(emulator)).toMatchObject({ status: 201, committed: true, fault: 'commit-late' });
  });

  it('commit-late: a client that aborts after 100 ms still gets its container created, visible after delayMs', async () => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect: 'commit-late', delayMs: 1500 })] } });
    const gaveUp = fetch(`${emulator.url}/containers`, {
      method: 'POST', body: JSON.stringify({ imageUuid: 'docker:nginx', name: 'orphan', labels: { owner: 'me' } }),
      signal: AbortSignal.timeout(100),
    });
    await expect(gaveUp).rejects.toThrow();
    const list = await waitForResource(`${emulator.url}/containers?name=orphan`, (body) => body.data.length === 1, 15_000);
    expect(list.data[0].labels).toEqual({ owner: 'me', 'io.rancher.environment.uuid': expect.any(String) });
    expect(await settledCreate(emulator)).toMatchObject({
      status: 'dropped', committed: true, apiStatus: 201, fault: 'commit-late', containerId: list.data[0].id,
      body: { name: 'orphan', labels: { owner: 'me' } },
    });
  });

  test.each([502, 503, 504])('commit-then-fail %i: the container is created, the client gets the error body', async (status) => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect: 'commit-then-fail', status })] } });
    const failed = await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: `failed-${status}` });
    expect(failed.status).toBe(status);
    expect(failed.body).toMatchObject({ type: 'error', baseType: 'error', status, detail: null });
    const created = (await get(`${emulator.url}/containers?name=failed-${status}`)).body.data;
    expect(created).toHaveLength(1);
    expect(await settledCreate(emulator)).toMatchObject({
      status, committed: true, apiStatus: 201, fault: 'commit-then-fail', containerId: created[0].id,
    });
  });

  it('commit-then-fail answers 504 Gateway Timeout by default', async () => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect: 'commit-then-fail' })] } });
    const failed = await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'gateway' });
    expect(failed.status).toBe(504);
    expect(failed.body).toMatchObject({ status: 504, code: 'Gateway Timeout', message: 'Gateway Timeout' });
    expect((await get(`${emulator.url}/containers?name=gateway`)).body.data).toHaveLength(1);
  });

  it.each<[string, FaultRule['effect'], Partial<FaultRule>]>([
    ['commit-then-fail with reset: true', 'commit-then-fail', { reset: true }],
    ['drop-after (the same fault)', 'drop-after', {}],
  ])('%s: the container is created, the connection is reset', async (_name, effect, extra) => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect, ...extra })] } });
    await expect(post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'reset' })).rejects.toThrow();
    expect((await get(`${emulator.url}/containers?name=reset`)).body.data).toHaveLength(1);
    expect(await settledCreate(emulator)).toMatchObject({ status: 'dropped', committed: true, apiStatus: 201, fault: effect });
  });

  it('refuses an invalid plan as a whole, from setFaults and PUT /_emulator/faults, keeping the old one', async () => {
    emulator = await startTestEmulator({ faults: { rules: [createRule({ effect: 'error', status: 500 })] } });
    const bad = { rules: [{ effect: 'commit-then-fail', status: 500 }, { effect: 'commit-late' }], stallstream: true };
    expect(() => emulator!.setFaults(bad as never)).toThrow(
      'invalid fault plan: Unknown key `stallstream`; Expected `rules[0].status` to be 502, 503 or 504, got `500`; '
      + 'Expected `rules[1].delayMs` for a commit-late rule, got nothing',
    );
    const refused = await fetch(`${originOf(emulator)}/_emulator/faults`, { method: 'PUT', body: JSON.stringify(bad) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^invalid fault plan: Unknown key `stallstream`/);
    expect(emulator.faults().rules).toEqual([createRule({ effect: 'error', status: 500 })]);
  });
});
