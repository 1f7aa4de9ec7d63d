import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
import { LiveCache } from '../../../src/rancher/live-cache.js';
import { systemClock } from '../../../src/clock.js';
import { waitForInstance } from '../../helpers/live-waits.js';
import { testClient, type TestClient } from './harness.js';

describe('mutations under faults are never duplicated', () => {
  let emu: EmulatorHandle;
  let client: TestClient;

  beforeEach(async () => {
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20 });
    client = testClient(emu.url);
  });
  afterEach(async () => {
    client.close();
    await emu.close();
  });

  it('a create whose response is lost leads to exactly one container and one POST', async () => {
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'drop-after', times: 1 }] });
    const created = await client.api.create({ name: 'lost-1', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    expect(created.name).toBe('lost-1');
    const all = await client.api.findByName('lost-1');
    expect(all.map((i) => i.id)).toEqual([created.id]);
    expect(emu.counters()['POST /v1/containers']).toBe(1);
  });

  it('a lost create is resolved by name even when Rancher\'s clock is 2 minutes behind ours', async () => {
    await emu.close();
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20, clock: { ...systemClock, now: () => Date.now() - 120_000 } });
    client.close();
    client = testClient(emu.url);
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'drop-after', times: 1 }] });
    await client.api.create({ name: 'skewed-create', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    expect(await client.api.findByName('skewed-create')).toHaveLength(1);
    expect(emu.counters()['POST /v1/containers']).toBe(1);
  });

  it('a create dropped before processing is sent again only after the name lookup found nothing', async () => {
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'drop-before', times: 1 }] });
    const created = await client.api.create({ name: 'lost-2', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    expect((await client.api.findByName('lost-2')).map((i) => i.id)).toEqual([created.id]);
    expect(emu.counters()['POST /v1/containers']).toBe(2);
    const routes = client.events.map((e) => `${e.method} ${e.route} ${e.status}`);
    expect(routes.slice(0, 3)).toEqual(['POST /v1/containers error', 'GET /v1/containers 200', 'POST /v1/containers 201']);
  });

  it('a create refused with 429 is sent again without a name lookup (nothing was processed)', async () => {
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'error', status: 429, retryAfterSec: 1, times: 1 }] });
    const created = await client.api.create({ name: 'throttled-1', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    expect(created.name).toBe('throttled-1');
    expect(client.events.map((e) => `${e.method} ${e.route} ${e.status}`)).toEqual(['POST /v1/containers 429', 'POST /v1/containers 201']);
  });

  it('an action whose response is lost is verified by a GET and not sent again', async () => {
    const cache = new LiveCache({ api: client.api, subscribe: () => client.http.subscribeTarget(), log: client.log, resyncMs: 60_000 });
    cache.start();
    await cache.waitReady();
    const created = await client.api.create({ name: 'lost-3', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    cache.observe(created);
    await waitForInstance(cache, created.id, (i) => i?.state === 'stopped', { timeoutMs: 3000 });
    cache.stop();
    emu.setFaults({ rules: [{ method: 'POST', action: 'start', effect: 'drop-after', times: 1 }] });
    emu.resetCounters();
    const started = await client.api.start(created.id);
    expect(['starting', 'running']).toContain(started.state);
    expect(emu.counters()['POST /v1/containers/:id?action=start']).toBe(1);
    expect(client.events.map((e) => `${e.method} ${e.route} ${e.status}`).slice(-2)).toEqual(['POST /v1/containers/:id?action=start error', 'GET /v1/containers/:id 200']);
  });

  /** Creates a started container and returns it once a live cache has seen it running and settled. */
  async function runningContainer(name: string) {
    const created = await client.api.create({ name, imageUuid: 'docker:nginx' }, { startOnCreate: true });
    const cache = new LiveCache({ api: client.api, subscribe: () => client.http.subscribeTarget(), log: client.log, resyncMs: 60_000 });
    cache.start();
    await cache.waitReady();
    const running = await waitForInstance(cache, created.id, (i) => i?.state === 'running' && i.transitioning === 'no', { timeoutMs: 3000 });
    cache.stop();
    return { created, running };
  }

  it('a restart whose response is lost is never sent a second time, even once it has finished', async () => {
    const created = await client.api.create({ name: 'restart-once', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    const cache = new LiveCache({ api: client.api, subscribe: () => client.http.subscribeTarget(), log: client.log, resyncMs: 60_000 });
    cache.start();
    await cache.waitReady();
    await waitForInstance(cache, created.id, (i) => i?.state === 'running', { timeoutMs: 3000 });
    cache.stop();
    // the response is lost and the restart finishes before the client looks (latency on the read-back)
    emu.setFaults({ rules: [
      { method: 'POST', action: 'restart', effect: 'drop-after', times: 1 },
      { method: 'GET', path: '^/v1/containers/[^/]+/?$', effect: 'latency', latencyMs: 300, times: 1 },
    ] });
    emu.resetCounters();
    await client.api.restart(created.id);
    expect(emu.counters()['POST /v1/containers/:id?action=restart']).toBe(1);
  });

  it('a restart reset on the way in (never processed) is not sent again: its outcome is reported unknown', async () => {
    const { created, running } = await runningContainer('restart-lost');
    emu.setFaults({ rules: [{ method: 'POST', action: 'restart', effect: 'drop-before', times: 1 }] });
    emu.resetCounters();
    // the read-back shows it running with the same startCount: it may not have arrived, or may still come
    await expect(client.api.restart(created.id, { startCountBefore: running!.startCount! })).rejects.toMatchObject({ code: 'ERR_API_NETWORK' });
    expect(emu.counters()['POST /v1/containers/:id?action=restart']).toBe(1);
  });

  it('a restart whose answer is lost but that landed (startCount went up) is a success, sent once', async () => {
    const { created, running } = await runningContainer('restart-landed');
    emu.setFaults({ rules: [
      { method: 'POST', action: 'restart', effect: 'drop-after', times: 1 },
      { method: 'GET', path: '^/v1/containers/[^/]+/?$', effect: 'latency', latencyMs: 300, times: 1 },
    ] });
    emu.resetCounters();
    const after = await client.api.restart(created.id, { startCountBefore: running!.startCount! });
    expect(after.startCount).toBe(running!.startCount! + 1);
    expect(emu.counters()['POST /v1/containers/:id?action=restart']).toBe(1);
  });

  it('a 409 Conflict on an action is retried after verifying it did not land', async () => {
    const created = await client.api.create({ name: 'busy-process', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    emu.setFaults({ rules: [{ method: 'POST', action: 'stop', effect: 'error', status: 409, times: 2 }] });
    emu.resetCounters();
    const cache = new LiveCache({ api: client.api, subscribe: () => client.http.subscribeTarget(), log: client.log, resyncMs: 60_000 });
    cache.start();
    await cache.waitReady();
    await waitForInstance(cache, created.id, (i) => i?.state === 'running', { timeoutMs: 3000 });
    cache.stop();
    const stopped = await client.api.stop(created.id, { timeout: 0 });
    expect(['stopping', 'stopped']).toContain(stopped.state);
    expect(emu.counters()['POST /v1/containers/:id?action=stop']).toBe(3);
  });

  it('an update whose response is lost is verified and not sent again', async () => {
    const created = await client.api.create({ name: 'rename-me', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    emu.setFaults({ rules: [{ method: 'PUT', effect: 'drop-after', times: 1 }] });
    emu.resetCounters();
    const updated = await client.api.update(created.id, { description: 'renamed once' });
    expect(updated.description).toBe('renamed once');
    expect(emu.counters()['PUT /v1/containers/:id']).toBe(1);
  });

  it('30 % 503s plus a 429 rate limit: the limiter pauses, every create succeeds once, no POST is repeated blindly', async () => {
    emu.setFaults({
      rules: [{ path: '^/v1/containers', effect: 'error', status: 503, probability: 0.3 }],
      rateLimit: { rps: 20, retryAfterSec: 1 },
      seed: 7,
    });
    client.close();
    // the configured budget is above the proxy's limit, so the 429s and the adaptive back-off are exercised
    client = testClient(emu.url, { qps: 25, concurrency: 8 });
    const names = Array.from({ length: 12 }, (_, i) => `busy-${i}`);
    const created = await Promise.all(names.map((name) => client.api.create({ name, imageUuid: 'docker:nginx' }, { startOnCreate: false })));
    expect(created.map((i) => i.name)).toEqual(names);
    emu.setFaults({});
    const live = await client.api.list();
    for (const name of names) expect(live.filter((i) => i.name === name)).toHaveLength(1);
    const stats = client.limiter.stats();
    expect(stats.throttledTotal).toBeGreaterThan(0);
    const posts = client.events.filter((e) => e.method === 'POST');
    // every POST that reached the emulator is one we saw answered; exactly one per name got a 201
    expect(emu.counters()['POST /v1/containers']).toBe(posts.length);
    expect(posts.filter((e) => e.status === 201)).toHaveLength(names.length);
    expect(posts.every((e) => e.status === 201 || e.status === 503 || e.status === 429)).toBe(true);
    expect(client.sink.lines.some((l) => l.msg === 'rate limiter paused')).toBe(true);
  });
});

