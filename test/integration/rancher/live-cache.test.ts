import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LiveChange } from '../../../src/domain/ports.js';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ReconcilerError } from '../../../src/errors.js';
import { systemClock } from '../../../src/clock.js';
import { LiveCache } from '../../../src/rancher/live-cache.js';
import { testClient, type TestClient } from './harness.js';

/** Resolves with the first change that satisfies `match`, or rejects after `timeoutMs`. */
function nextChange(cache: LiveCache, match: (change: LiveChange) => boolean, timeoutMs: number): Promise<LiveChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching change within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = cache.onChange((change) => {
      if (!match(change)) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}

/** Resolves when the cache's event stream reports `connected` (immediately if it already is). */
function streamIs(cache: LiveCache, connected: boolean, timeoutMs = 3000): Promise<void> {
  if (cache.streaming === connected) return Promise.resolve();
  return nextStreamReport(cache, connected, timeoutMs);
}

/** Resolves on the next stream report equal to `connected`, whatever the current state. */
function nextStreamReport(cache: LiveCache, connected: boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no stream report ${String(connected)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = cache.onStream((now) => {
      if (now !== connected) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Another client, as a human with curl would be: plain fetch, no shared code. */
async function otherClient(method: string, url: string, body?: unknown): Promise<{ id: string }> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (await response.json()) as { id: string };
}

describe('LiveCache against the emulator', () => {
  let emu: EmulatorHandle;
  let client: TestClient;
  let cache: LiveCache;
  /** A resync far beyond the test's life proves a change came through the websocket. */
  const makeCache = (resyncMs = 60_000): LiveCache =>
    (cache = new LiveCache({ api: client.api, subscribe: () => client.http.subscribeTarget(), log: client.log, resyncMs }));

  beforeEach(async () => {
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20, pingIntervalMs: 200 });
    client = testClient(emu.url);
    for (const name of ['a', 'b', 'c']) await client.api.create({ name, imageUuid: 'docker:nginx' }, { startOnCreate: false });
    makeCache();
  });
  afterEach(async () => {
    cache.stop();
    client.close();
    await emu.close();
  });

  it('is ready after the first full list and logs it once', async () => {
    expect(cache.ready).toBe(false);
    cache.start();
    await cache.waitReady();
    expect(cache.all().map((i) => i.name).sort()).toEqual(['a', 'b', 'c']);
    expect(cache.byName('b')).toHaveLength(1);
    const ready = client.sink.lines.filter((l) => l.msg === 'live cache ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ count: 3, durationMs: expect.any(Number) });
  });

  it('sees a rename by another client through the websocket, with old and new names', async () => {
    cache.start();
    await cache.waitReady();
    await streamIs(cache, true);
    const target = cache.byName('a')[0]!;
    const seen = nextChange(cache, (c) => c.names.has('a-renamed'), 2000);
    await otherClient('PUT', `${emu.url}/containers/${target.id}`, { name: 'a-renamed' });
    const change = await seen;
    expect([...change.names].sort()).toEqual(['a', 'a-renamed']);
    expect([...change.ids]).toEqual([target.id]);
    expect(cache.get(target.id)?.name).toBe('a-renamed');
    expect(cache.streaming).toBe(true);
  });

  it.each([
    ['behind', -30_000],
    ['ahead', 30_000],
  ])('applies events and our own results in order when Rancher\'s clock is 30 s %s of ours', async (_label, skewMs) => {
    await emu.close();
    const skewed = { ...systemClock, now: () => Date.now() + skewMs };
    emu = await startEmulator({ port: 0, transitionMs: 20, eventCoalesceMs: 20, pingIntervalMs: 200, clock: skewed });
    client.close();
    client = testClient(emu.url);
    makeCache().start();
    await cache.waitReady();
    await streamIs(cache, true);
    // our own call's result (stamped with our clock), then Rancher's events (its clock) must still win
    const created = await client.api.create({ name: 'skewed', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    cache.observe(created);
    const running = await cache.waitFor(created.id, (i) => i?.state === 'running', { timeoutMs: 3000 });
    expect(running?.transitioning).toBe('no');
    // and a later result of ours is not overwritten by an older event
    const stopping = await client.api.stop(created.id);
    cache.observe(stopping);
    const stopped = await cache.waitFor(created.id, (i) => i?.state === 'stopped', { timeoutMs: 3000 });
    expect(stopped?.state).toBe('stopped');
  });

  it('falls back to listing when the websocket is cut and refused, says so once, and recovers', async () => {
    makeCache(400).start();
    await cache.waitReady();
    await streamIs(cache, true);
    emu.setFaults({ rejectSubscriptions: true });
    const lost = streamIs(cache, false);
    emu.closeSubscriptions();
    await lost;
    // within one resync (400 ms) plus the time the list takes; 3 s only bounds a hang
    const seen = nextChange(cache, (c) => c.names.has('while-cut'), 3000);
    await otherClient('POST', `${emu.url}/containers`, { name: 'while-cut', imageUuid: 'docker:nginx', startOnCreate: false });
    await seen;
    await nextStreamReport(cache, false); // a reconnect attempt was refused
    expect(cache.streaming).toBe(false);
    expect(cache.byName('while-cut')).toHaveLength(1);
    emu.setFaults({});
    await streamIs(cache, true, 8000);
    const lines = client.sink.lines.map((l) => l.msg);
    expect(lines).toContain('event stream disconnected');
    expect(lines).toContain('event stream unavailable, polling every 0.4s');
    expect(lines.filter((m) => m?.startsWith('event stream unavailable'))).toHaveLength(1);
    expect(lines.filter((m) => m === 'event stream connected')).toHaveLength(2);
  });

  it('waitFor resolves on the cache update that satisfies it', async () => {
    cache.start();
    await cache.waitReady();
    const target = cache.byName('c')[0]!;
    const running = cache.waitFor(target.id, (i) => i?.state === 'running' && i.transitioning === 'no', { timeoutMs: 3000 });
    cache.observe(await client.api.start(target.id));
    await expect(running).resolves.toMatchObject({ id: target.id, state: 'running' });
  });

  it('waitFor rejects with ERR_WAIT_TIMEOUT at the deadline', async () => {
    cache.start();
    await cache.waitReady();
    const target = cache.byName('a')[0]!;
    await expect(cache.waitFor(target.id, (i) => i?.state === 'running', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_WAIT_TIMEOUT', retryable: true });
  });

  it('waitFor rejects with ERR_INSTANCE_ERROR and the transitioning message when a start fails', async () => {
    emu.setFaults({ failStartImages: ['docker:broken'] });
    cache.start();
    await cache.waitReady();
    const created = await client.api.create({ name: 'broken', imageUuid: 'docker:broken' }, { startOnCreate: true });
    cache.observe(created);
    const error = await cache.waitFor(created.id, (i) => i?.state === 'running', { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconcilerError);
    expect(error).toMatchObject({ code: 'ERR_INSTANCE_ERROR' });
    expect((error as Error).message).toMatch(/failed: .+/);
  });
});

