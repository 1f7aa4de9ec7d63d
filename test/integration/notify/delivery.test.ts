/**
 * How the notifier delivers, against a local receiver with the clock in the test's hands: duplicates
 * inside the window, retries and their backoff, what is never retried, filters, a full queue, a
 * hanging receiver and shutdown. No sleeps: the tests await requests and reported outcomes, and move
 * the ManualClock for the dedupe window and the backoff.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliveryDefaults } from '../../../src/notify/notification-channel.js';
import { anEntry, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const fiveMinutes = 5 * 60_000;

describe('dedupe window', () => {
  it('suppresses an identical event inside the window and sends it again once the window has passed', async () => {
    h = await startHarness((url) => [anEntry({ url, dedupeWindowMs: fiveMinutes })]);
    const first = h.record();
    await expect(h.outcomes.finalOf(first.id)).resolves.toMatchObject({ kind: 'sent' });

    const second = h.record();
    await expect(h.outcomes.finalOf(second.id)).resolves.toMatchObject({ kind: 'suppressed' });
    h.clock.advance(fiveMinutes - 1);
    const third = h.record();
    await expect(h.outcomes.finalOf(third.id)).resolves.toMatchObject({ kind: 'suppressed' });

    h.clock.advance(1);
    const fourth = h.record();
    await expect(h.outcomes.finalOf(fourth.id)).resolves.toMatchObject({ kind: 'sent' });
    expect(h.receiver.requests.map((r) => (JSON.parse(r.body) as { id: number }).id)).toEqual([first.id, fourth.id]);
    expect([await h.count('hook', 'sent'), await h.count('hook', 'suppressed')]).toEqual([2, 2]);
  });

  it('tells events apart by kind, instance and message, and each provider keeps its own window', async () => {
    h = await startHarness((url) => [anEntry({ name: 'a', url }), anEntry({ name: 'b', url, dedupeWindowMs: 1000 })]);
    h.record();
    h.record({ key: 'web-2' });
    h.record({ message: 'another message' });
    h.record({ kind: 'instance-failed' });
    await h.receiver.waitForRequests(8);
    h.clock.advance(1000);
    const again = h.record();
    await expect(h.outcomes.waitFor((o) => o.eventId === again.id && o.provider === 'a')).resolves.toMatchObject({ kind: 'suppressed' });
    await expect(h.outcomes.waitFor((o) => o.eventId === again.id && o.provider === 'b')).resolves.toMatchObject({ kind: 'sent' });
  });
});

describe('retries', () => {
  it('retries a 500 after 2 s, then 4 s, and stops at the first success', async () => {
    h = await startHarness((url) => [anEntry({ url })], [500, 500, 200]);
    const event = h.record();

    await expect(h.outcomes.waitFor((o) => o.kind === 'retrying')).resolves.toMatchObject({ attempt: 1, retryInMs: 2000, status: 500 });
    expect(h.receiver.requests).toHaveLength(1);
    h.clock.advance(1999);
    expect(h.clock.pending).toBe(1);
    h.clock.advance(1);
    await expect(h.outcomes.waitFor((o) => o.kind === 'retrying', 2)).resolves.toMatchObject({ attempt: 2, retryInMs: 4000 });
    h.clock.advance(4000);

    await expect(h.outcomes.finalOf(event.id)).resolves.toMatchObject({ kind: 'sent', attempts: 3 });
    expect(h.receiver.requests).toHaveLength(3);
    expect(new Set(h.receiver.requests.map((r) => r.body)).size).toBe(1);
    expect([await h.count('hook', 'sent'), await h.count('hook', 'failed')]).toEqual([1, 0]);
  });

  it('gives up after 4 tries of a failing receiver (2 s, 4 s, 8 s apart) and counts it failed', async () => {
    h = await startHarness((url) => [anEntry({ url })], [503]);
    const event = h.record();
    for (const [nth, delay] of [[1, 2000], [2, 4000], [3, 8000]] as const) {
      await expect(h.outcomes.waitFor((o) => o.kind === 'retrying', nth)).resolves.toMatchObject({ retryInMs: delay });
      h.clock.advance(delay);
    }
    await expect(h.outcomes.finalOf(event.id)).resolves.toMatchObject({ kind: 'failed', attempts: 4, status: 503 });
    expect(h.receiver.requests).toHaveLength(4);
    expect(await h.count('hook', 'failed')).toBe(1);
    expect(await h.sink.waitFor('notification failed')).toMatchObject({ level: 'warn', component: 'notify', provider: 'hook', attempts: 4, status: 503 });
  });

  it('does not retry a 400, and logs the provider name, never the URL that carries the token', async () => {
    h = await startHarness((url) => [anEntry({ name: 'slack-ops', kind: 'slack', url: `${url}/services/T000/B000/XXXXSLACKTOKEN` })], [400]);
    const event = h.record();
    await expect(h.outcomes.finalOf(event.id)).resolves.toMatchObject({ kind: 'failed', attempts: 1, status: 400 });
    expect(h.outcomes.all.filter((o) => o.kind === 'retrying')).toEqual([]);
    expect(h.receiver.requests).toHaveLength(1);
    expect(await h.sink.waitFor('notification failed')).toMatchObject({ provider: 'slack-ops', status: 400, error: 'HTTP 400' });
    expect(h.sink.text).not.toContain('XXXXSLACKTOKEN');
    expect(h.sink.text).not.toContain(h.receiver.url);
  });

  it('retries when nothing answers (connection refused), naming only the error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    h = await startHarness(() => [anEntry({ url: `http://127.0.0.1:${port}/hook?token=SECRET123` })]);
    h.record();
    await expect(h.outcomes.waitFor((o) => o.kind === 'retrying')).resolves.toMatchObject({ attempt: 1, error: 'ECONNREFUSED' });
    expect(h.sink.text).not.toContain('SECRET123');
  });
});

describe('filters', () => {
  it('sends nothing for events below minSeverity, of other kinds, or about other instances', async () => {
    h = await startHarness((url) => [anEntry({ url, minSeverity: 'warning', kinds: ['action-failed', 'drift-detected'], instances: ['web-*', '!web-canary'] })]);
    const filtered = [
      h.record({ severity: 'info' }),
      h.record({ kind: 'revision-seen', severity: 'warning' }),
      h.record({ key: 'db-1' }),
      h.record({ key: 'web-canary' }),
      h.record({ key: null }),
    ];
    const wanted = h.record({ key: 'web-2', kind: 'drift-detected', severity: 'warning' });

    // one loop sends in order: the first request being the wanted event means none before it went out
    const [request] = await h.receiver.waitForRequests(1);
    expect((JSON.parse(request!.body) as { id: number }).id).toBe(wanted.id);
    await h.outcomes.finalOf(wanted.id);
    expect(h.outcomes.all.filter((o) => filtered.some((e) => e.id === o.eventId))).toEqual([]);
    expect([await h.count('hook', 'suppressed'), await h.count('hook', 'dropped')]).toEqual([0, 0]);
  });

  it('sends events about no instance when no instances filter is set', async () => {
    h = await startHarness((url) => [anEntry({ url })]);
    const event = h.record({ kind: 'credentials-rejected', key: null, instanceId: null });
    await expect(h.outcomes.finalOf(event.id)).resolves.toMatchObject({ kind: 'sent' });
  });
});

describe('a hanging receiver', () => {
  it('never slows recording: 1000 events are recorded at once, the queue keeps the newest 100 and counts the oldest dropped', async () => {
    h = await startHarness((url) => [anEntry({ url, minSeverity: 'info' })], ['hang']);
    let seenByOtherReaders = 0;
    h.journal.subscribe(() => (seenByOtherReaders += 1));

    const ids: number[] = [];
    for (let i = 0; i < 1000; i += 1) ids.push(h.record({ message: `event ${i}` }).id);

    // all 1000 were recorded and handed to every reader before the receiver saw a single request
    expect(seenByOtherReaders).toBe(1000);
    expect(h.receiver.requests).toHaveLength(0);
    expect(h.notifier.queued('hook')).toBe(deliveryDefaults.queueCapacity);
    expect(await h.count('hook', 'dropped')).toBe(900);
    expect(await h.sink.waitFor('notification queue full')).toMatchObject({ level: 'warn', provider: 'hook', capacity: 100 });

    // the oldest were dropped: the first one sent is the oldest kept
    const [request] = await h.receiver.waitForRequests(1);
    expect((JSON.parse(request!.body) as { id: number }).id).toBe(ids[900]);
    expect(h.notifier.queued('hook')).toBe(99);

    // shutdown: the grace passes, the hanging send is aborted and what is left is counted dropped
    const stopping = h.notifier.stop();
    h.clock.advance(deliveryDefaults.shutdownGraceMs);
    await stopping;
    expect(await h.count('hook', 'dropped')).toBe(1000);
    expect(await h.count('hook', 'sent')).toBe(0);
    expect(await h.sink.waitFor('notifications dropped at shutdown')).toMatchObject({ count: 99 });
  });
});

describe('shutdown', () => {
  it('lets queued events go out within the grace, then takes no more', async () => {
    h = await startHarness((url) => [anEntry({ url })]);
    const events = [h.record({ message: 'a' }), h.record({ message: 'b' }), h.record({ message: 'c' })];
    await h.notifier.stop();
    expect(h.receiver.requests.map((r) => (JSON.parse(r.body) as { id: number }).id)).toEqual(events.map((e) => e.id));
    h.record({ message: 'd' });
    expect(h.outcomes.all.map((o) => o.kind)).toEqual(['sent', 'sent', 'sent']);
  });
});
