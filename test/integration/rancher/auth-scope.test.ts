import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
import { createRancherClient } from '../../../src/rancher/rancher-client.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { apiError, testClient } from './harness.js';

const accessKey = 'AK-reconciler-test';
const secretKey = 'S3cr3t-value-that-must-never-leak';
const basic = Buffer.from(`${accessKey}:${secretKey}`).toString('base64');

describe('authentication, project scoping and pagination', () => {
  let emu: EmulatorHandle;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20, accessKey, secretKey });
  });
  afterAll(async () => emu.close());

  it('authenticates with HTTP Basic from the access and secret key', async () => {
    const client = testClient(emu.url, { accessKey, secretKey });
    await expect(client.api.list()).resolves.toEqual(expect.any(Array));
    client.close();
  });

  it.each<[string, { accessKey?: string; secretKey?: string }]>([
    ['no credentials', {}],
    ['a wrong secret key', { accessKey, secretKey: 'wrong-secret' }],
  ])('maps 401 for %s to a final ERR_API_UNAUTHORIZED, sent once', async (_rule, keys) => {
    const client = testClient(emu.url, keys);
    emu.resetCounters();
    const error = await apiError(client.api.list());
    expect(error).toMatchObject({ code: 'ERR_API_UNAUTHORIZED', status: 401, apiCode: 'Unauthorized', retryable: false });
    expect(emu.counters()['GET /v1/containers']).toBe(1);
    client.close();
  });

  it('maps an unknown project to ERR_API_FORBIDDEN', async () => {
    const client = testClient(`${emu.url}/projects/1a999`, { accessKey, secretKey });
    expect(await apiError(client.api.list())).toMatchObject({ code: 'ERR_API_FORBIDDEN', status: 403, retryable: false });
    client.close();
  });

  it('works through a project-scoped URL', async () => {
    const client = testClient(`${emu.url}/projects/1a5/`, { accessKey, secretKey });
    expect(client.http.baseUrl).toBe(`${emu.url}/projects/1a5`);
    const created = await client.api.create({ name: 'scoped', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    expect((await client.api.findByName('scoped')).map((i) => i.id)).toEqual([created.id]);
    expect((await client.api.get(created.id))?.name).toBe('scoped');
    expect(client.http.subscribeTarget().url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/projects\/1a5\/subscribe\?eventNames=resource\.change$/);
    client.close();
  });

  it('never writes the credentials into errors or logs', async () => {
    const { log, sink } = captureLogger('debug');
    const client = createRancherClient({ api: { url: emu.url, accessKey, secretKey, timeoutMs: 2000, qps: 0, concurrency: 4, pageSize: 100 }, log });
    const messages: string[] = [];
    await client.api.create({ name: 'secretive', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    messages.push((await apiError(client.api.start('1i99999'))).message);
    const wrong = createRancherClient({ api: { url: emu.url, accessKey, secretKey: `${secretKey}-x`, timeoutMs: 2000, qps: 0, concurrency: 4, pageSize: 100 }, log });
    const unauthorized = await apiError(wrong.api.list());
    messages.push(unauthorized.message, unauthorized.url, JSON.stringify(unauthorized), String(unauthorized.cause));
    const cache = client.createLiveCache({ resyncMs: 60_000 });
    cache.start();
    await cache.waitReady();
    cache.stop();
    client.close();
    wrong.close();
    const everything = `${sink.text}\n${messages.join('\n')}`;
    expect(sink.raw.length).toBeGreaterThan(2);
    for (const secret of [secretKey, basic, Buffer.from(`${accessKey}:${secretKey}-x`).toString('base64')]) expect(everything).not.toContain(secret);
  });
});

describe('pagination', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    // a manual clock that never moves: no transition timers fire while 2,500 containers are seeded
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 1000, clock: new ManualClock() });
  });
  afterAll(async () => emu.close());

  it('lists 2,500 containers with page size 100, each exactly once', async () => {
    const seed = testClient(emu.url, { concurrency: 16 });
    await Promise.all(Array.from({ length: 2500 }, (_, i) => seed.http.request({ method: 'POST', path: 'containers', json: { name: `p-${i}`, imageUuid: 'docker:x', startOnCreate: false } })));
    seed.close();
    const client = testClient(`${emu.url}/projects/1a5`, { pageSize: 100 });
    emu.resetCounters();
    const listed = await client.api.list();
    expect(listed).toHaveLength(2500);
    expect(new Set(listed.map((i) => i.id)).size).toBe(2500);
    expect(new Set(listed.map((i) => i.name))).toEqual(new Set(Array.from({ length: 2500 }, (_, i) => `p-${i}`)));
    expect(emu.counters()['GET /v1/containers']).toBe(25);
    client.close();
    // 2,500 seeding requests: about 5 s on an idle 2-core machine, over 30 s with two busy loops beside it
  }, 120_000);
});
