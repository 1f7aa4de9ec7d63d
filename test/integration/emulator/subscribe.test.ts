import { afterEach, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

type Event = { id: string; name: string; resourceId: string | null; resourceType: string | null; time: number; data: any };

/** A subscriber that queues events and lets a test await the next one matching a predicate. */
class EventReader {
  readonly ws: WebSocket;
  readonly #events: Event[] = [];
  readonly #waiters: { predicate: (event: Event) => boolean; resolve: (event: Event) => void }[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as Event;
      const waiter = this.#waiters.find((candidate) => candidate.predicate(event));
      if (waiter) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      } else {
        this.#events.push(event);
      }
    });
  }

  next(predicate: (event: Event) => boolean, timeoutMs = 5000): Promise<Event> {
    const queued = this.#events.findIndex(predicate);
    if (queued >= 0) return Promise.resolve(this.#events.splice(queued, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching event')), timeoutMs);
      this.#waiters.push({ predicate, resolve: (event) => { clearTimeout(timer); resolve(event); } });
    });
  }

  /** Events received and not yet consumed. */
  get queued(): readonly Event[] {
    return this.#events;
  }
}

const opened = (ws: WebSocket): Promise<void> => new Promise((resolve, reject) => {
  ws.once('open', () => resolve());
  ws.once('error', reject);
});
const closed = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', (code) => resolve(code)));

describe('/v1/subscribe websocket', () => {
  let emulator: EmulatorHandle | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) {
      // terminating a socket that was refused or never opened emits an error; irrelevant at teardown
      ws.on('error', () => undefined);
      ws.terminate();
    }
    await emulator?.close();
    emulator = undefined;
  });

  const subscribe = (path: string, headers?: Record<string, string>): EventReader => {
    const reader = new EventReader(`${emulator!.url.replace(/^http/, 'ws')}${path}`, headers);
    sockets.push(reader.ws);
    return reader;
  };

  it('sends a ping at once and a resource.change with the GET body for a container it stops', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100, eventCoalesceMs: 1000, pingIntervalMs: 5000 });
    const id = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'watched' })).body.id;
    clock.advance(5000);
    const reader = subscribe('/subscribe?eventNames=resource.change');
    const ping = await reader.next((event) => event.name === 'ping');
    expect(ping).toMatchObject({ resourceId: null, resourceType: null, data: { options: {}, resources: [] } });
    expect(Object.keys(ping)).toEqual(['id', 'name', 'resourceId', 'resourceType', 'time', 'data']);

    expect((await post(`${emulator.url}/containers/${id}/?action=stop`)).status).toBe(202);
    clock.advance(0);
    const stopping = await reader.next((event) => event.name === 'resource.change');
    expect(stopping).toMatchObject({ resourceId: id, resourceType: 'container', time: clock.now() });
    expect(stopping.data.resource.state).toBe('stopping');

    clock.advance(100);
    expect(reader.queued.filter((event) => event.name === 'resource.change')).toEqual([]);
    clock.advance(900);
    const stopped = await reader.next((event) => event.name === 'resource.change');
    expect(stopped.data.resource).toEqual((await get(`${emulator.url}/containers/${id}`)).body);
    expect(stopped.data.resource.state).toBe('stopped');

    clock.advance(4000);
    await reader.next((event) => event.name === 'ping');
  });

  it('publishes removed but not purging or purged', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100, eventCoalesceMs: 10, purgeDelayMs: 1000 });
    const id = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', startOnCreate: false })).body.id;
    clock.advance(500);
    const reader = subscribe('/projects/1a5/subscribe?eventNames=resource.change');
    await reader.next((event) => event.name === 'ping');
    await post(`${emulator.url}/containers/${id}?action=remove`);
    for (let step = 0; step < 30; step += 1) clock.advance(100);
    const states: string[] = [];
    for (;;) {
      const event = await reader.next((candidate) => candidate.name === 'resource.change');
      states.push(event.data.resource.state);
      expect(event.data.resource.links.self).toContain('/v1/projects/1a5/containers/');
      if (event.data.resource.state === 'removed') break;
    }
    expect(states).toEqual(['removing', 'removed']);
    expect((await get(`${emulator.url}/containers/${id}`)).body.state).toBe('purged');
    expect(reader.queued.filter((event) => event.name === 'resource.change')).toEqual([]);
  });

  it('isolates projects and sends only pings without resource.change in eventNames', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, projects: ['1a5', '1a7'], eventCoalesceMs: 0 });
    const other = subscribe('/subscribe?eventNames=resource.change', { 'X-API-Project-Id': '1a7' });
    const pingsOnly = subscribe('/subscribe');
    const mine = subscribe('/subscribe?eventNames=resource.change');
    await Promise.all([other, pingsOnly, mine].map((reader) => reader.next((event) => event.name === 'ping')));
    await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx' });
    clock.advance(0);
    await mine.next((event) => event.name === 'resource.change');
    expect(other.queued).toEqual([]);
    expect(pingsOnly.queued).toEqual([]);
  });

  it('is cut by closeSubscriptions and refused with 503 when subscriptions are rejected', async () => {
    emulator = await startTestEmulator();
    const reader = subscribe('/subscribe?eventNames=resource.change');
    await reader.next((event) => event.name === 'ping');
    const cut = closed(reader.ws);
    emulator.closeSubscriptions();
    expect(await cut).toBe(1006);
    emulator.setFaults({ rejectSubscriptions: true });
    const refused = new WebSocket(`${emulator.url.replace(/^http/, 'ws')}/subscribe`);
    sockets.push(refused);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(503);
    expect(emulator.counters()['GET /v1/subscribe']).toBe(2);
  });

  it('asks for the same Basic credentials, without a challenge on an upgrade', async () => {
    emulator = await startTestEmulator({ accessKey: 'ak', secretKey: 'sk' });
    const refused = new WebSocket(`${emulator.url.replace(/^http/, 'ws')}/subscribe`);
    sockets.push(refused);
    const response = await new Promise<{ status: number; challenge: unknown }>((resolve) => refused.once('unexpected-response', (_req, res) =>
      resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] })));
    expect(response).toEqual({ status: 401, challenge: undefined });
    const allowed = new WebSocket(`${emulator.url.replace(/^http/, 'ws')}/subscribe`, {
      headers: { Authorization: `Basic ${Buffer.from('ak:sk').toString('base64')}` },
    });
    sockets.push(allowed);
    await opened(allowed);
  });
});
