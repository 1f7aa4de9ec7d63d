import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LiveChange } from '../../../src/domain/ports.js';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ReconcilerError } from '../../../src/errors.js';
import { systemClock } from '../../../src/clock.js';
import { LiveCache } from '../../../src/rancher/live-cache.js';
import { waitForInstance } from '../../helpers/live-waits.js';
import type { LogSink } from '../../helpers/log-sink.js';
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

/**
 * Resolves when the cache is streaming: at once if it is, else on the stream's next "connected" report
 * (EventStream logs every connection change; the cache's own log goes to `sink`).
 */
function streamConnected(cache: LiveCache, sink: LogSink, timeoutMs = 3000): Promise<unknown> {
  if (cache.streaming) return Promise.resolve();
  return sink.waitForNext('event stream connected', timeoutMs);
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
    await streamConnected(cache, client.sink);
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
    await streamConnected(cache, client.sink);
    // our own call's result (stamped with our clock), then Rancher's events (its clock) must still win
    const created = await client.api.create({ name: 'skewed', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    cache.observe(created);
    const running = await waitForInstance(cache, created.id, (i) => i?.state === 'running', { timeoutMs: 3000 });
    expect(running?.transitioning).toBe('no');
    // and a later result of ours is not overwritten by an older event
    const stopping = await client.api.stop(created.id);
    cache.observe(stopping);
    const stopped = await waitForInstance(cache, created.id, (i) => i?.state === 'stopped', { timeoutMs: 3000 });
    expect(stopped?.state).toBe('stopped');
  });

  it('never lets a slow answer of ours overwrite a later state an event already showed (stamped with its send time)', async () => {
    makeCache().start();
    await cache.waitReady();
    await streamConnected(cache, client.sink);
    const sentAt = systemClock.now();
    const created = await client.api.create({ name: 'slow-answer', imageUuid: 'docker:nginx' }, { startOnCreate: true });
    // the events for the create arrive first; our answer (still "creating") is processed late
    await waitForInstance(cache, created.id, (i) => i?.state === 'running' && i.transitioning === 'no', { timeoutMs: 5000 });
    expect(created.state).not.toBe('running');
    cache.observe(created, sentAt);
    expect(cache.get(created.id)?.state).toBe('running');
  });

  it('falls back to listing when the websocket is cut and refused, says so once, and recovers', async () => {
    makeCache(400).start();
    await cache.waitReady();
    await streamConnected(cache, client.sink);
    emu.setFaults({ rejectSubscriptions: true });
    const lost = client.sink.waitForNext('event stream disconnected', 5000);
    emu.closeSubscriptions();
    await lost;
    expect(cache.streaming).toBe(false);
    // within one resync (400 ms) plus the time the list takes; 3 s only bounds a hang
    const seen = nextChange(cache, (c) => c.names.has('while-cut'), 3000);
    await otherClient('POST', `${emu.url}/containers`, { name: 'while-cut', imageUuid: 'docker:nginx', startOnCreate: false });
    await seen;
    await client.sink.waitFor('event stream unavailable, polling every 0.4s', 1, 5000); // a reconnect attempt was refused
    expect(cache.streaming).toBe(false);
    expect(cache.byName('while-cut')).toHaveLength(1);
    emu.setFaults({});
    await client.sink.waitFor('event stream connected', 2, 8000);
    expect(cache.streaming).toBe(true);
    const lines = client.sink.lines.map((l) => l.msg);
    expect(lines).toContain('event stream disconnected');
    expect(lines).toContain('event stream unavailable, polling every 0.4s');
    expect(lines.filter((m) => m?.startsWith('event stream unavailable'))).toHaveLength(1);
    expect(lines.filter((m) => m === 'event stream connected')).toHaveLength(2);
  });

  it('reports the update that satisfies a wait for an instance (onChange, then get)', async () => {
    cache.start();
    await cache.waitReady();
    const target = cache.byName('c')[0]!;
    const running = waitForInstance(cache, target.id, (i) => i?.state === 'running' && i.transitioning === 'no', { timeoutMs: 3000 });
    cache.observe(await client.api.start(target.id));
    await expect(running).resolves.toMatchObject({ id: target.id, state: 'running' });
  });

  it('never shows an instance in a state it was not put in: a wait for it times out with ERR_WAIT_TIMEOUT', async () => {
    cache.start();
    await cache.waitReady();
    const target = cache.byName('a')[0]!;
    await expect(waitForInstance(cache, target.id, (i) => i?.state === 'running', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_WAIT_TIMEOUT', retryable: true });
  });

  it('shows a failed start as transitioning error with its message: a wait for running rejects with ERR_INSTANCE_ERROR', async () => {
    emu.setFaults({ failStartImages: ['docker:broken'] });
    cache.start();
    await cache.waitReady();
    const created = await client.api.create({ name: 'broken', imageUuid: 'docker:broken' }, { startOnCreate: true });
    cache.observe(created);
    const error = await waitForInstance(cache, created.id, (i) => i?.state === 'running', { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconcilerError);
    expect(error).toMatchObject({ code: 'ERR_INSTANCE_ERROR' });
    expect((error as Error).message).toMatch(/failed: .+/);
  });
});

