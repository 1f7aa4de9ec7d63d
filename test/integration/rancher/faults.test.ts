import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
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

  it('a create dropped before processing is sent again only after the name lookup found nothing', async () => {
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'drop-before', times: 1 }] });
    const created = await client.api.create({ name: 'lost-2', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    expect((await client.api.findByName('lost-2')).map((i) => i.id)).toEqual([created.id]);
    expect(emu.counters()['POST /v1/containers']).toBe(2);
    const routes = client.events.map((e) => `${e.method} ${e.route} ${e.status}`);
    expect(routes.slice(0, 3)).toEqual(['POST /v1/containers error', 'GET /v1/containers 200', 'POST /v1/containers 201']);
  });

  it('an action whose response is lost is verified by a GET and not sent again', async () => {
    const created = await client.api.create({ name: 'lost-3', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    await waitForState(client, created.id, 'stopped');
    emu.setFaults({ rules: [{ method: 'POST', action: 'start', effect: 'drop-after', times: 1 }] });
    emu.resetCounters();
    const started = await client.api.start(created.id);
    expect(['starting', 'running']).toContain(started.state);
    expect(emu.counters()['POST /v1/containers/:id?action=start']).toBe(1);
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

/** Waits on the API for a state (the emulator runs on real time here; 20 ms transitions). */
async function waitForState(client: TestClient, id: string, state: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if ((await client.api.get(id))?.state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${id} never reached ${state}`);
}
